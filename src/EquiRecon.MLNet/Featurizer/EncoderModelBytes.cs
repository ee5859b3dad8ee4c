using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// An EquiRecon model file held in memory (the bytes embedded in ML.NET model zips), and where those bytes come from:
/// a model file path, or <see cref="DefaultEncoder"/> when no path is given.
/// </summary>
internal static class EncoderModelBytes
{
    private const string Source = "the encoder model file embedded in the ML.NET model";

    /// <summary>Loads the encoder of a model file held in <paramref name="bytes"/> onto <paramref name="device"/> (eval mode).</summary>
    /// <exception cref="ModelFileException">The bytes are not a valid model file (truncated, corrupt, weights not matching the manifest).</exception>
    public static PretrainedEncoder Load(byte[] bytes, torch.Device device) => ModelFile.Load(bytes, Source, device);

    /// <summary>
    /// The bytes of the model file at <paramref name="path"/>, or of the default encoder when <paramref name="path"/> is
    /// <see langword="null"/>; the manifest is validated (not the weights' tensors).
    /// </summary>
    /// <exception cref="ModelFileException">The file is missing or not a valid EquiRecon model file.</exception>
    public static (byte[] Bytes, ModelManifest Manifest) Read(string? path)
    {
        var manifest = ReadManifest(path);
        return (path is null ? DefaultEncoder.ReadBytes() : File.ReadAllBytes(path), manifest);
    }

    /// <summary>The validated manifest of the model file at <paramref name="path"/>, or of the default encoder when it is <see langword="null"/>.</summary>
    /// <exception cref="ModelFileException">The file is missing or not a valid EquiRecon model file.</exception>
    public static ModelManifest ReadManifest(string? path) => path is null ? DefaultEncoder.ReadManifest() : ModelFile.ReadManifest(path);

    /// <summary>How error messages name the model of <paramref name="path"/>.</summary>
    public static string Describe(string? path) => path is null ? DefaultEncoder.SourceName : "model file " + path;
}
