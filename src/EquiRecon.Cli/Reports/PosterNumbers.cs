namespace EquiRecon.Cli.Reports;

/// <summary>
/// The published CIFAR-10 numbers the reproduce report is compared with: R² of transformation prediction
/// (rotation, colour, blur, translation) from the poster of Wang, Krajsek and Scharr, "Equivariant Representation
/// Learning for Augmentation-based Self-Supervised Learning via Image Reconstruction" (arXiv 2412.03314), as
/// transcribed in docs/method-notes.md ("The poster's CIFAR-10 table"). They are reference values for the report
/// only and are never written into results.csv. The poster reports R² in SIE's definition, with ResNet-18 trained
/// for hundreds of epochs on a GPU.
/// </summary>
internal static class PosterNumbers
{
    /// <summary>One row of the poster's table.</summary>
    /// <param name="Label">The row's name on the poster.</param>
    /// <param name="Rot">R² rotation.</param>
    /// <param name="Color">R² colour.</param>
    /// <param name="Blur">R² blur.</param>
    /// <param name="Trans">R² translation.</param>
    public sealed record Row(string Label, double Rot, double Color, double Blur, double Trans);

    /// <summary>Poster rows by our method name (source: arXiv 2412.03314 poster, CIFAR-10 table).</summary>
    public static IReadOnlyDictionary<string, Row> Cifar10 { get; } = new Dictionary<string, Row>(StringComparer.Ordinal)
    {
        ["sie-rot"] = new("SIE(rot)", 0.989, 0.887, 0.836, 0.911),
        ["sie-color"] = new("SIE(color)", 0.813, 0.921, 0.825, 0.822),
        ["sie-blur"] = new("SIE(blur)", 0.814, 0.833, 0.990, 0.807),
        ["sie-trans"] = new("SIE(trans)", 0.876, 0.812, 0.810, 0.987),
        ["sie-all"] = new("SIE(all)", 0.845, 0.864, 0.889, 0.886),
        ["equirecon"] = new("Ours", 0.826, 0.906, 0.972, 0.890),
    };

    /// <summary>
    /// Poster rows of the unknown-transformations experiment on CIFAR-10 (80 % of the training images with unknown
    /// transformations; SIE and supervised train on the 20 % known): docs/method-notes.md.
    /// </summary>
    public static IReadOnlyDictionary<string, Row> UnknownTransforms { get; } = new Dictionary<string, Row>(StringComparer.Ordinal)
    {
        ["supervised"] = new("Supervised", 0.214, 0.229, 0.437, 0.386),
        ["sie-all"] = new("SIE(all)", 0.402, 0.395, 0.511, 0.479),
        ["equirecon"] = new("Ours", 0.815, 0.879, 0.944, 0.878),
    };

    /// <summary>The poster's rows for a reproduce table name, or null when it has none.</summary>
    public static IReadOnlyDictionary<string, Row>? For(string table) => table switch
    {
        "cifar10" => Cifar10,
        "unknown-transforms" => UnknownTransforms,
        _ => null,
    };

    /// <summary>The value of <paramref name="probe"/> (rot, color, blur, trans) in a row.</summary>
    public static double Of(Row row, string probe)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!EquiRecon.TorchSharp.Augment.TransformKinds.TryParse(probe, out var kind))
            return double.NaN;
        return kind switch
        {
            EquiRecon.TorchSharp.Augment.TransformKind.Rotation => row.Rot,
            EquiRecon.TorchSharp.Augment.TransformKind.Color => row.Color,
            EquiRecon.TorchSharp.Augment.TransformKind.Blur => row.Blur,
            EquiRecon.TorchSharp.Augment.TransformKind.Translation => row.Trans,
            _ => double.NaN,
        };
    }
}
