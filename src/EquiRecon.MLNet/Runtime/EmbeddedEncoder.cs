using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using TorchSharp;

namespace EquiRecon.MLNet.Runtime;

/// <summary>
/// A frozen encoder together with the bytes of the model file it was loaded from (<see cref="EncoderSource"/>), so that a
/// transformer can store the whole model file inside its ML.NET zip and be self-contained. Used by the transformation
/// probe and the segmentation step (the featurizer keeps the bytes and the encoder apart, as it may run on ONNX Runtime).
/// </summary>
internal sealed class EmbeddedEncoder : IDisposable
{
    // The probe and segmentation steps run (and fit) on TorchSharp only; named in the error when libtorch is missing.
    private const string Component = "EquiRecon's TransformationProbe and Segmentation steps (fitting, Evaluate and Runtime = TorchSharp)";

    private EmbeddedEncoder(byte[] modelFileBytes, PretrainedEncoder encoder)
    {
        ModelFileBytes = modelFileBytes;
        Encoder = encoder;
    }

    /// <summary>The model file, byte for byte.</summary>
    public byte[] ModelFileBytes { get; }

    /// <summary>The encoder loaded from <see cref="ModelFileBytes"/> (eval mode).</summary>
    public PretrainedEncoder Encoder { get; }

    /// <summary>
    /// Reads the model file at <paramref name="path"/>, or the built-in encoder <paramref name="builtIn"/> (the default
    /// encoder when both are <see langword="null"/>; see <see cref="EncoderSource"/>), and loads its encoder on the CPU.
    /// </summary>
    /// <exception cref="ModelFileException">The file is missing, corrupt or not a model file, or the built-in encoder's package is not referenced.</exception>
    public static EmbeddedEncoder FromFileOrBuiltIn(string? path, BuiltInEncoder? builtIn)
    {
        var (bytes, _) = EncoderSource.Read(path, builtIn);
        return new EmbeddedEncoder(bytes, EncoderSource.Load(bytes, EncoderSource.SourceName(path, builtIn), torch.CPU, Component));
    }

    /// <summary>Writes the model file bytes as the stream <see cref="EncoderSource.StreamName"/>.</summary>
    public void Save(ModelSaveContext ctx) => EncoderSource.Save(ctx, ModelFileBytes);

    /// <summary>Reads the model file bytes written by <see cref="Save"/> (or under the legacy stream name) and loads the encoder.</summary>
    /// <exception cref="FormatException">The stream is missing or does not hold a valid model file.</exception>
    public static EmbeddedEncoder Load(ModelLoadContext ctx, bool legacyStreamName) => FromStored(EncoderSource.LoadBytes(ctx, legacyStreamName));

    /// <summary>Loads the encoder of model file bytes read from an ML.NET model; an invalid file is a <see cref="FormatException"/>.</summary>
    public static EmbeddedEncoder FromStored(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return new EmbeddedEncoder(bytes, EncoderSource.LoadStored(bytes, torch.CPU, Component));
    }

    /// <inheritdoc />
    public void Dispose() => Encoder.Dispose();
}
