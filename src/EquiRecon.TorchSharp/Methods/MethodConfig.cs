using System.Text.Json.Serialization;
using EquiRecon.TorchSharp.Augment;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// A pretraining method as data: which augmentations make the two views and which objectives
/// (over the shared encoder) are summed. Every method of the registry is one of these; there is
/// one forward pass for all of them (<see cref="PretrainingModel"/>).
/// </summary>
public sealed record MethodConfig
{
    /// <summary>Registry name, e.g. <c>equirecon</c>.</summary>
    public required string Name { get; init; }

    /// <summary>One line for help texts and reports.</summary>
    public required string Description { get; init; }

    /// <summary>The transformations applied (independently) to make each view, in order.</summary>
    public required IReadOnlyList<TransformKind> Augmentations { get; init; }

    /// <summary>VICReg over an expander; null when the method has none.</summary>
    public VicRegObjectiveConfig? VicReg { get; init; }

    /// <summary>The cross-attention reconstruction; null when the method has none.</summary>
    public ReconstructionObjectiveConfig? Reconstruction { get; init; }

    /// <summary>SIE's projectors and predictor; null when the method has none.</summary>
    public SieObjectiveConfig? Sie { get; init; }

    /// <summary>Cross-entropy on labels; null for self-supervised methods.</summary>
    public SupervisedObjectiveConfig? Supervised { get; init; }

    /// <summary>
    /// Objectives beyond the built-in ones (<see cref="IObjectiveConfig"/>), added after them in this order; null (default)
    /// or empty when the method has none. Their records' JSON form is part of the checkpoint fingerprint.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<IObjectiveConfig>? AdditionalObjectives { get; init; }

    /// <summary>True when training needs class labels.</summary>
    public bool RequiresLabels => Supervised is not null || (AdditionalObjectives?.Any(o => o.RequiresLabels) ?? false);

    // The JSON form of AdditionalObjectives (each record by its runtime type), for the checkpoint fingerprint; absent when null,
    // so the built-in methods hash as before.
    [JsonInclude]
    [JsonPropertyName(nameof(AdditionalObjectives))]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    private object[]? AdditionalObjectivesJson => AdditionalObjectives?.Cast<object>().ToArray();

    /// <summary>Checks that the method has at least one objective and one augmentation.</summary>
    /// <exception cref="ArgumentException">The configuration cannot train.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
            throw new ArgumentException("A method needs a name.", nameof(Name));
        if (VicReg is null && Reconstruction is null && Sie is null && Supervised is null && (AdditionalObjectives is null || AdditionalObjectives.Count == 0))
            throw new ArgumentException($"Method '{Name}' has no objective.", nameof(VicReg));
        if (AdditionalObjectives is not null)
        {
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var objective in AdditionalObjectives)
            {
                if (objective is null || string.IsNullOrWhiteSpace(objective.ModuleName) || objective.ModuleName.Contains('.', StringComparison.Ordinal))
                    throw new ArgumentException($"Method '{Name}' has an additional objective without a valid module name (non-empty, no '.').", nameof(AdditionalObjectives));
                if (PretrainingModel.ReservedModuleNames.Contains(objective.ModuleName) || !names.Add(objective.ModuleName))
                    throw new ArgumentException($"Method '{Name}': the module name '{objective.ModuleName}' of an additional objective is taken (reserved: {string.Join(", ", PretrainingModel.ReservedModuleNames)}; each name once).", nameof(AdditionalObjectives));
            }
        }
        if (Augmentations is null || Augmentations.Count == 0)
            throw new ArgumentException($"Method '{Name}' applies no augmentation: both views would be identical.", nameof(Augmentations));
        if (Sie is not null)
        {
            var missing = Sie.Conditioning.Except(Augmentations).ToArray();
            if (missing.Length > 0)
                throw new ArgumentException($"Method '{Name}' conditions SIE on {string.Join(", ", missing)}, which it does not apply.", nameof(Sie));
        }
    }
}
