using EquiRecon.TorchSharp.Augment;

namespace EquiRecon.MLNet.Transforms;

/// <summary>
/// Settings of <see cref="NormalizeImagePixelsEstimator"/>: which image column to read, which float
/// vector column to write, and the per-channel normalization.
/// </summary>
/// <remarks>
/// Each output value is <c>(pixel / 255 - Mean[c]) / Std[c]</c> for channel <c>c</c> in R, G, B order.
/// The defaults are the CIFAR-10 training-set statistics used by EquiRecon's encoders.
/// </remarks>
public sealed record NormalizeImagePixelsOptions
{
    /// <summary>CIFAR-10 per-channel mean (R, G, B) in [0, 1] units: 0.4914, 0.4822, 0.4465 (EquiRecon's <c>ImageTensors.Cifar10Mean</c>).</summary>
    public static IReadOnlyList<float> Cifar10Mean => ImageTensors.Cifar10Mean;

    /// <summary>CIFAR-10 per-channel standard deviation (R, G, B) in [0, 1] units: 0.2470, 0.2435, 0.2616 (EquiRecon's <c>ImageTensors.Cifar10Std</c>).</summary>
    public static IReadOnlyList<float> Cifar10Std => ImageTensors.Cifar10Std;

    /// <summary>Name of the output column, a known-size vector of <see cref="float"/>, <c>(3, H, W)</c> flattened. Default <c>"Pixels"</c>.</summary>
    public string OutputColumnName { get; init; } = EquiReconColumnNames.Pixels;

    /// <summary>
    /// Name of the input column: an image of known size (<c>ImageDataViewType(H, W)</c>, for example the
    /// output of <c>ResizeImages</c>). Default <c>"Image"</c>.
    /// </summary>
    public string InputColumnName { get; init; } = EquiReconColumnNames.Image;

    /// <summary>Per-channel mean (R, G, B) in [0, 1] units, 3 finite values. Default <see cref="Cifar10Mean"/>.</summary>
    public IReadOnlyList<float> Mean { get; init; } = Cifar10Mean;

    /// <summary>Per-channel standard deviation (R, G, B) in [0, 1] units, 3 finite positive values. Default <see cref="Cifar10Std"/>.</summary>
    public IReadOnlyList<float> Std { get; init; } = Cifar10Std;

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A column name is empty, or mean/std do not have 3 finite values (std positive).</exception>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("The output column name must not be empty.", nameof(OutputColumnName));
        if (string.IsNullOrWhiteSpace(InputColumnName))
            throw new ArgumentException("The input column name must not be empty.", nameof(InputColumnName));
        if (Mean is null || Mean.Count != 3 || Mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException($"Mean needs 3 finite values (R, G, B), got [{Format(Mean)}].", nameof(Mean));
        if (Std is null || Std.Count != 3 || Std.Any(s => !float.IsFinite(s) || s <= 0f))
            throw new ArgumentException($"Std needs 3 finite positive values (R, G, B), got [{Format(Std)}].", nameof(Std));
    }

    private static string Format(IReadOnlyList<float>? values)
        => values is null ? "null" : string.Join(", ", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
}
