using EquiRecon.TorchSharp.Encoders;
using System.Collections.Frozen;
using EquiRecon.TorchSharp.Augment;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// The built-in methods by name: the seed's <c>equirecon</c> and the baselines it is compared
/// with (<c>vicreg</c>, the <c>sie-*</c> family, <c>supervised</c>). Each is a
/// <see cref="MethodConfig"/> over the same encoder, heads and losses.
/// </summary>
public static class MethodRegistry
{
    // Every kind, in the order the pipeline applies them (the methods' Augmentations list them in this order).
    private static readonly TransformKind[] AllKinds = [.. AugmentationPipeline.CanonicalOrder];

    private static readonly FrozenDictionary<string, MethodConfig> Methods = Build().ToFrozenDictionary(m => m.Name, StringComparer.Ordinal);

    /// <summary>The method a pretraining run uses unless told otherwise: <c>equirecon</c>.</summary>
    public const string DefaultName = "equirecon";

    /// <summary>Registered names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Methods.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The method called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such method; the message lists the registered names.</exception>
    public static MethodConfig Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Methods.TryGetValue(name, out var method)
            ? method
            : throw new ArgumentException($"Unknown method '{name}'. Registered methods: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>All registered methods.</summary>
    public static IEnumerable<MethodConfig> All => Names.Select(n => Methods[n]);

    private static IEnumerable<MethodConfig> Build()
    {
        yield return new MethodConfig
        {
            Name = DefaultName,
            Description = "VICReg on the invariant part + λ·cross-attention reconstruction through the equivariant part (arXiv 2412.03314).",
            Augmentations = AllKinds,
            VicReg = new VicRegObjectiveConfig(RepresentationPart.Invariant),
            Reconstruction = new ReconstructionObjectiveConfig(Weight: 1.0),
        };
        yield return new MethodConfig
        {
            Name = "vicreg",
            Description = "VICReg on the whole representation (Bardes et al.).",
            Augmentations = AllKinds,
            VicReg = new VicRegObjectiveConfig(RepresentationPart.All),
        };
        foreach (var (suffix, kinds) in SieVariants())
        {
            yield return new MethodConfig
            {
                Name = "sie-" + suffix,
                Description = $"SIE with its predictor conditioned on {string.Join(", ", kinds)} (Garrido et al.); only these transformations are applied.",
                Augmentations = kinds,
                Sie = new SieObjectiveConfig(kinds),
            };
        }
        yield return new MethodConfig
        {
            Name = "supervised",
            Description = "Cross-entropy on class labels with the same encoder (upper reference for classification).",
            Augmentations = [TransformKind.Crop, TransformKind.Flip],
            Supervised = new SupervisedObjectiveConfig(),
        };
    }

    private static IEnumerable<(string Suffix, TransformKind[] Kinds)> SieVariants()
    {
        foreach (var kind in TransformKinds.All)
            yield return (TransformKinds.Name(kind), [kind]);
        yield return ("all", AllKinds);
    }
}
