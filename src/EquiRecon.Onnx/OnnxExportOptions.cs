namespace EquiRecon.Onnx;

/// <summary>Settings of <see cref="OnnxExport.ExportEncoder(string, string, OnnxExportOptions?)"/>.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>
    /// Side <c>S</c> of the square input the exported graph takes (<c>pixels</c> is <c>N × 3 × S × S</c>). An encoder with an
    /// input offset (<c>ResNetEncoderConfig.InputOffsetSize</c>, e.g. ML.NET's ResNet-18 mean image) gets the offset
    /// resized to <c>S</c> at export time with the encoder's own antialiased bilinear resize. Default <see langword="null"/>:
    /// the model file's input size (<c>ModelManifest.InputSize</c>), which is what the featurizer feeds.
    /// </summary>
    public int? InputSize { get; init; }

    /// <summary>
    /// Whether each BatchNormalization is folded into the convolution before it (weights scaled per output channel,
    /// a bias added), so the graph holds only Conv, Relu, MaxPool, Add and the head. Default <see langword="true"/>: fewer
    /// nodes and the same features within float rounding (see <c>docs/onnx.md</c> for the measured difference);
    /// <see langword="false"/> keeps BatchNormalization nodes with the running statistics, like the TorchSharp module.
    /// </summary>
    public bool FoldBatchNorm { get; init; } = true;
}
