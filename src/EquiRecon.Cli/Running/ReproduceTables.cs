using System.Globalization;

namespace EquiRecon.Cli.Running;

/// <summary>The tables <c>equirecon reproduce</c> can train, and their rows.</summary>
internal static class ReproduceTables
{
    /// <summary>The seed's CIFAR-10 table.</summary>
    public const string Cifar10 = "cifar10";

    /// <summary>The poster's experiment with unknown transformations.</summary>
    public const string UnknownTransforms = "unknown-transforms";

    /// <summary>The untrained encoder's row.</summary>
    public const string Random = EquiRecon.TorchSharp.IO.ModelManifest.RandomMethod;

    /// <summary>Fraction of the pretraining images whose transformation parameters and labels count as known.</summary>
    public const double KnownFraction = 0.2;

    /// <summary>The <c>--table</c> names.</summary>
    public static IReadOnlyList<string> Names { get; } = [Cifar10, UnknownTransforms];

    /// <summary>Rows of both tables, in order: the seed's CIFAR-10 table plus the untrained encoder.</summary>
    public static IReadOnlyList<string> Rows { get; } =
        ["sie-rot", "sie-color", "sie-blur", "sie-trans", "sie-all", "vicreg", "equirecon", "supervised", Random];

    /// <summary>
    /// In <see cref="UnknownTransforms"/>, methods that need the transformation parameters (SIE) or labels
    /// (supervised) can only use the known subset.
    /// </summary>
    public static bool NeedsKnownSubset(string table, string method) =>
        table == UnknownTransforms && (method.StartsWith("sie-", StringComparison.Ordinal) || method == "supervised");

    /// <summary>One paragraph for the report on how the table uses the data.</summary>
    public static string Note(string table) => table switch
    {
        Cifar10 => "Table `cifar10`: every row pretrains on the same class-balanced images of the CIFAR-10 training split; the transformation probes train and are scored on disjoint pairs of test-split images no row pretrained on; the classification probes train on a subset of the training split and are scored on the test split.",
        UnknownTransforms => FormattableString.Invariant(
            $"Table `unknown-transforms` (the poster's experiment): {KnownFraction:P0} of the pretraining images count as *known* (their transformation parameters and labels may be used), the other {1 - KnownFraction:P0} as *unknown*. ") +
            "\"Unknown\" is implemented by what each method may train on: SIE needs the parameters of the transformations it conditions on and `supervised` needs labels, so they pretrain on the known subset only " +
            "(a seeded random subset, the same for every row, with the same number of steps, hence more passes over it); `vicreg` and `equirecon` need neither and pretrain on all images. " +
            "Probes are the same as in `cifar10`.",
        _ => table,
    };
}
