namespace EquiRecon.Onnx;

/// <summary>
/// The input convention of ML.NET's <c>ResNetPreprocess.onnx</c>, read from its graph: RGB pixels in 0–255 are
/// reordered to <see cref="ChannelOrder"/> and a mean image is subtracted (no scaling).
/// </summary>
public sealed record MlNetPreprocessing
{
    /// <summary>Channel order the network sees, read from the Split → Concat nodes (<c>BGR</c> for ML.NET's ResNets).</summary>
    public required string ChannelOrder { get; init; }

    /// <summary>Pixel scale the network sees (<c>0-255</c>: the graph does not rescale).</summary>
    public required string Scale { get; init; }

    /// <summary>Side of the square mean image (and of the graph's input) in pixels.</summary>
    public required int InputSize { get; init; }

    /// <summary>Per-channel spatial mean of the mean image, in <see cref="ChannelOrder"/> (0–255 scale).</summary>
    public required IReadOnlyList<double> ChannelMeans { get; init; }

    /// <summary>The same means in RGB order (0–255 scale).</summary>
    public required IReadOnlyList<double> ChannelMeansRgb { get; init; }

    /// <summary>Largest absolute difference between a mean-image pixel and its channel's mean (0–255 scale).</summary>
    public required double MeanImageMaxDeviation { get; init; }

    /// <summary>The mean image, <c>3 × InputSize × InputSize</c> values in the graph's channel order (BGR), 0–255 scale.</summary>
    public required IReadOnlyList<float> MeanImage { get; init; }
}
