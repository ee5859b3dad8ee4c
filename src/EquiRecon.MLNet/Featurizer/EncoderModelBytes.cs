using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>An EquiRecon model file held in memory (the bytes embedded in ML.NET model zips).</summary>
internal static class EncoderModelBytes
{
    private const string Source = "the encoder model file embedded in the ML.NET model";

    /// <summary>Loads the encoder of a model file held in <paramref name="bytes"/> onto <paramref name="device"/> (eval mode).</summary>
    /// <exception cref="ModelFileException">The bytes are not a valid model file (truncated, corrupt, weights not matching the manifest).</exception>
    public static PretrainedEncoder Load(byte[] bytes, torch.Device device) => ModelFile.Load(bytes, Source, device);
}
