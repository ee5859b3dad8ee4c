using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Persistence;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// A frozen encoder together with the bytes of the model file it was loaded from, so that a transformer can store
/// the whole model file inside its ML.NET zip (one <see cref="ModelBlob"/> stream) and be self-contained.
/// Shared by the transformation probe and the segmentation adapter.
/// </summary>
internal sealed class EmbeddedEncoder : IDisposable
{
    /// <summary>Name of the zip stream holding the model file bytes.</summary>
    public const string StreamName = "EncoderModelFile";

    // The probe and segmentation steps run (and fit) on TorchSharp only; named in the error when libtorch is missing.
    private const string Component = "EquiRecon's TransformationProbe and Segmentation steps (fitting, Evaluate and Runtime = TorchSharp)";

    private EmbeddedEncoder(byte[] modelFileBytes, PretrainedEncoder encoder)
    {
        ModelFileBytes = modelFileBytes;
        Encoder = encoder;
    }

    /// <summary>The model file, byte for byte.</summary>
    public byte[] ModelFileBytes { get; }

    /// <summary>The encoder loaded from <see cref="ModelFileBytes"/> (eval mode, CPU).</summary>
    public PretrainedEncoder Encoder { get; }

    /// <summary>
    /// Reads the model file at <paramref name="path"/>, or the built-in encoder <paramref name="builtIn"/> (the default
    /// encoder when both are <see langword="null"/>; see <see cref="EncoderModelBytes"/>), and loads its encoder.
    /// </summary>
    /// <exception cref="ModelFileException">The file is missing, corrupt or not a model file, or the built-in encoder's package is not referenced.</exception>
    public static EmbeddedEncoder FromFileOrBuiltIn(string? path, BuiltInEncoder? builtIn)
    {
        var (bytes, _) = EncoderModelBytes.Read(path, builtIn);
        TorchRuntime.EnsureLoaded(Component);
        return new EmbeddedEncoder(bytes, ModelFile.Load(bytes, EncoderModelBytes.SourceName(path, builtIn)));
    }

    /// <summary>Loads the encoder of a model file held in memory.</summary>
    /// <exception cref="ModelFileException">The bytes are not a valid model file.</exception>
    public static EmbeddedEncoder FromBytes(byte[] modelFileBytes)
    {
        ArgumentNullException.ThrowIfNull(modelFileBytes);
        TorchRuntime.EnsureLoaded(Component);
        return new EmbeddedEncoder(modelFileBytes, ModelFile.Load(modelFileBytes, EncoderModelBytes.EmbeddedSource));
    }

    /// <summary>Writes the model file bytes as the stream <see cref="StreamName"/>.</summary>
    public void Save(ModelSaveContext ctx) => ModelBlob.Save(ctx, StreamName, ModelFileBytes);

    /// <summary>Reads the model file bytes written by <see cref="Save"/> and loads the encoder.</summary>
    /// <exception cref="FormatException">The stream is missing or does not hold a valid model file.</exception>
    public static EmbeddedEncoder Load(ModelLoadContext ctx) => FromStored(ModelBlob.Load(ctx, StreamName));

    /// <summary>Loads the encoder of model file bytes read from an ML.NET model; an invalid file is a <see cref="FormatException"/>.</summary>
    public static EmbeddedEncoder FromStored(byte[] bytes)
    {
        try
        {
            return FromBytes(bytes);
        }
        catch (ModelFileException e)
        {
            // The reader's message names the source ("Model file (embedded in an ML.NET model): …").
            throw new FormatException(e.Message, e);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Encoder.Dispose();
}
