namespace EquiRecon.MLNet;

/// <summary>
/// Which runtime computes an EquiRecon step's forward passes at inference (the <c>Runtime</c> option of
/// <c>FeaturizeImage</c>). Both give the same features within float rounding (below 1e-4 relative; the ONNX path is
/// tested against the TorchSharp one). A saved ML.NET model records the choice.
/// </summary>
public enum InferenceRuntime
{
    /// <summary>
    /// TorchSharp (libtorch): the application references a TorchSharp backend package (<c>TorchSharp-cpu</c>, or
    /// <c>TorchSharp-cuda-linux</c> / <c>TorchSharp-cuda-windows</c>). The default.
    /// </summary>
    TorchSharp = 0,

    /// <summary>
    /// ONNX Runtime: the encoder is exported to ONNX in memory (<c>EquiRecon.Onnx.OnnxExport</c>, no libtorch needed) and
    /// runs in an ONNX Runtime <c>InferenceSession</c>. The application references an ONNX Runtime package of version
    /// 1.32.0 (<c>Microsoft.ML.OnnxRuntime</c> for the CPU, <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> /
    /// <c>.Gpu.Windows</c> for CUDA) and needs no TorchSharp backend to featurize.
    /// </summary>
    OnnxRuntime = 1,
}
