using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// An EquiRecon model file held in memory (the bytes embedded in ML.NET model zips): reading its manifest and
/// loading its encoder go through <see cref="ModelFile"/>, via a temporary file deleted right after.
/// </summary>
internal static class EncoderModelBytes
{
    /// <summary>Reads and validates the manifest of a model file held in <paramref name="bytes"/>.</summary>
    /// <exception cref="ModelFileException">The bytes are not a valid model file.</exception>
    public static ModelManifest ReadManifest(byte[] bytes, string tempFolder)
        => WithTempFile(bytes, tempFolder, ModelFile.ReadManifest);

    /// <summary>Loads the encoder of a model file held in <paramref name="bytes"/> onto <paramref name="device"/> (eval mode).</summary>
    /// <exception cref="ModelFileException">The bytes are not a valid model file (truncated, corrupt, weights not matching the manifest).</exception>
    public static PretrainedEncoder Load(byte[] bytes, torch.Device device, string tempFolder)
        => WithTempFile(bytes, tempFolder, path => ModelFile.Load(path, device));

    private static T WithTempFile<T>(byte[] bytes, string tempFolder, Func<string, T> read)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        string path = Path.Combine(tempFolder, "equirecon-model-" + Guid.NewGuid().ToString("N") + ".zip");
        try
        {
            File.WriteAllBytes(path, bytes);
            return read(path);
        }
        finally
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // A leftover temporary file is harmless.
            }
            catch (UnauthorizedAccessException)
            {
                // Same.
            }
        }
    }
}
