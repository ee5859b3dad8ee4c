using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The model file: one zip holding <c>manifest.json</c> (<see cref="ModelManifest"/>) and
/// <c>encoder.bin</c> (TorchSharp's state-dict format: names, shapes and raw tensor data, no
/// code). Saving is atomic; loading validates the format version, the SHA-256 of the weights,
/// the architecture and every tensor's name and shape before returning, and never writes.
/// </summary>
public static class ModelFile
{
    private const string ManifestEntry = "manifest.json";
    private const string WeightsEntry = "encoder.bin";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>The version of this library, written into manifests and checkpoints.</summary>
    public static string LibraryVersion { get; } =
        typeof(ModelFile).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? typeof(ModelFile).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Saves <paramref name="encoder"/> with its manifest to <paramref name="path"/> (atomically).</summary>
    public static ModelManifest Save(string path, ResNetEncoder encoder, string method, int inputSize,
        IReadOnlyList<float> mean, IReadOnlyList<float> std, IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentException.ThrowIfNullOrWhiteSpace(method);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        byte[] weights;
        using (var ms = new MemoryStream())
        {
            encoder.save(ms);
            weights = ms.ToArray();
        }
        var manifest = new ModelManifest
        {
            Method = method,
            Encoder = EncoderSpecs.ToSpec(encoder.Config),
            InputSize = inputSize,
            Mean = mean.ToArray(),
            Std = std.ToArray(),
            LibraryVersion = LibraryVersion,
            WeightsSha256 = Convert.ToHexStringLower(SHA256.HashData(weights)),
            Provenance = provenance ?? new Dictionary<string, string>(),
        };
        Validate(manifest, path);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            ZipEntries.Write(zip, ManifestEntry, JsonSerializer.SerializeToUtf8Bytes(manifest, Json), CompressionLevel.Optimal);
            ZipEntries.Write(zip, WeightsEntry, weights, CompressionLevel.NoCompression);
        });
        return manifest;
    }

    /// <summary>Reads and validates only the manifest (no tensors are created).</summary>
    /// <exception cref="ModelFileException">The file is missing, not a model file, truncated, or its manifest is invalid.</exception>
    public static ModelManifest ReadManifest(string path) => Read(path, readWeights: false).Manifest;

    /// <summary>Reads and validates the manifest of a model file held in memory (e.g. embedded in an ML.NET zip).</summary>
    /// <param name="bytes">The model file, byte for byte.</param>
    /// <param name="sourceName">Names the bytes in error messages.</param>
    /// <exception cref="ModelFileException">The bytes are not a valid model file.</exception>
    public static ModelManifest ReadManifest(byte[] bytes, string sourceName = "(in-memory model file)") =>
        Read(bytes, sourceName, readWeights: false).Manifest;

    /// <summary>
    /// Reads and validates a model file held in memory without creating tensors or loading TorchSharp's native library:
    /// the manifest (validated as by <see cref="ReadManifest(byte[], string)"/>) and the raw <c>encoder.bin</c> entry
    /// (TorchSharp's state-dict format), whose SHA-256 is checked against the manifest. For readers that do not run
    /// libtorch, such as the ONNX export of EquiRecon.Onnx.
    /// </summary>
    /// <param name="bytes">The model file, byte for byte.</param>
    /// <param name="sourceName">Names the bytes in error messages.</param>
    /// <returns>The manifest and the weights entry's bytes.</returns>
    /// <exception cref="ModelFileException">The bytes are not a valid model file, or the weights' SHA-256 differs from the manifest's.</exception>
    public static (ModelManifest Manifest, byte[] Weights) ReadWeights(byte[] bytes, string sourceName = "(in-memory model file)")
    {
        var (manifest, weights) = Read(bytes, sourceName, readWeights: true);
        return (manifest, weights!);
    }

    /// <summary>Reads and validates a model file's manifest and raw weights without loading TorchSharp's native library; see <see cref="ReadWeights(byte[], string)"/>.</summary>
    /// <param name="path">The model file.</param>
    /// <exception cref="ModelFileException">The file is missing or not a valid model file, or the weights' SHA-256 differs from the manifest's.</exception>
    public static (ModelManifest Manifest, byte[] Weights) ReadWeights(string path)
    {
        var (manifest, weights) = Read(path, readWeights: true);
        return (manifest, weights!);
    }

    /// <summary>Loads a model file held in memory into an encoder ready for batched inference; validates like <see cref="Load(string, torch.Device?)"/>.</summary>
    /// <param name="bytes">The model file, byte for byte.</param>
    /// <param name="sourceName">Names the bytes in error messages.</param>
    /// <param name="device">Where the encoder runs (default CPU).</param>
    /// <exception cref="ModelFileException">The bytes are truncated, corrupt, of an unknown version or do not match their manifest.</exception>
    public static PretrainedEncoder Load(byte[] bytes, string sourceName = "(in-memory model file)", torch.Device? device = null) =>
        Create(Read(bytes, sourceName, readWeights: true), sourceName, device);

    /// <summary>Loads a model file into an encoder ready for batched inference (eval mode, on <paramref name="device"/>).</summary>
    /// <exception cref="ModelFileException">The file is missing, truncated, corrupt, of an unknown version or does not match its manifest.</exception>
    public static PretrainedEncoder Load(string path, torch.Device? device = null) =>
        Create(Read(path, readWeights: true), path, device);

    private static PretrainedEncoder Create((ModelManifest Manifest, byte[]? Weights) file, string path, torch.Device? device)
    {
        var (manifest, weights) = file;
        TorchNative.EnsureLoaded();
        var config = EncoderSpecs.ToConfig(manifest.Encoder);
        var encoder = EncoderFactory.Create(config);
        try
        {
            using var ms = new MemoryStream(weights!);
            encoder.load(ms, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            encoder.Dispose();
            throw new ModelFileException($"Model file {path}: the weights do not match the encoder in its manifest: {e.Message}", e);
        }
        return new PretrainedEncoder(manifest, encoder, device ?? torch.CPU);
    }

    private static (ModelManifest Manifest, byte[]? Weights) Read(string path, bool readWeights)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new ModelFileException($"Model file not found: {path}.");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path, readWeights);
    }

    private static (ModelManifest Manifest, byte[]? Weights) Read(byte[] bytes, string sourceName, bool readWeights)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, sourceName, readWeights);
    }

    private static (ModelManifest Manifest, byte[]? Weights) Read(Stream stream, string path, bool readWeights)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var manifestBytes = ZipEntries.Read(zip, path, ManifestEntry);
            ModelManifest manifest;
            try
            {
                manifest = JsonSerializer.Deserialize<ModelManifest>(manifestBytes)
                    ?? throw new ModelFileException($"Model file {path}: the manifest is empty.");
            }
            catch (JsonException e)
            {
                throw new ModelFileException($"Model file {path}: the manifest is not valid JSON or lacks required fields: {e.Message}", e);
            }
            Validate(manifest, path);
            if (!readWeights)
                return (manifest, null);
            var weights = ZipEntries.Read(zip, path, WeightsEntry);
            var sha = Convert.ToHexStringLower(SHA256.HashData(weights));
            if (!string.Equals(sha, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelFileException($"Model file {path}: the weights' SHA-256 is {sha} but the manifest records {manifest.WeightsSha256}; the file is corrupt.");
            return (manifest, weights);
        }
        catch (InvalidDataException e)
        {
            throw new ModelFileException($"Model file {path} is truncated or not a model file (not a readable zip): {e.Message}", e);
        }
    }

    private static void Validate(ModelManifest m, string path)
    {
        if (m.FormatVersion != ModelManifest.CurrentFormatVersion)
            throw new ModelFileException($"Model file {path} has format version {m.FormatVersion}; this library (EquiRecon {LibraryVersion}) reads version {ModelManifest.CurrentFormatVersion}.");
        if (m.InputSize < 8)
            throw new ModelFileException($"Model file {path}: input size {m.InputSize} is invalid.");
        if (m.Mean is null || m.Std is null || m.Mean.Count != 3 || m.Std.Count != 3 || m.Std.Any(s => !(s > 0)))
            throw new ModelFileException($"Model file {path}: normalisation needs 3 means and 3 positive standard deviations.");
        if (m.Encoder is null)
            throw new ModelFileException($"Model file {path}: the manifest has no encoder.");
        try
        {
            _ = EncoderSpecs.ToConfig(m.Encoder);
        }
        catch (ArgumentException e)
        {
            throw new ModelFileException($"Model file {path}: the encoder in the manifest is invalid: {e.Message}", e);
        }
        if (string.IsNullOrWhiteSpace(m.WeightsSha256) || m.WeightsSha256.Length != 64)
            throw new ModelFileException($"Model file {path}: the manifest has no valid SHA-256 of the weights.");
    }
}
