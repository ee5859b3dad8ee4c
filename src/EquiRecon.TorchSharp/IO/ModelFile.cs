using System.IO.Compression;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The model file: one zip holding <c>manifest.json</c> (<see cref="ModelManifest"/>), <c>encoder.bin</c> (TorchSharp's
/// state-dict format: names, shapes and raw tensor data, no code) and, from format 2, <c>integrity.sha256</c> (the
/// SHA-256 of the manifest's and the weights' bytes, so a changed manifest is detected too). Saving is atomic and writes
/// format 2; loading reads formats 1 and 2, checks every entry's size (against the manifest and hard caps in
/// <see cref="ModelFileLimits"/>) and CRC-32, the manifest's fields, the hashes and every tensor's name, shape and
/// finiteness before any tensor is created, and never writes. Every failure is a <see cref="ModelFileException"/> naming
/// the file (or the in-memory source) and the reason.
/// </summary>
public static class ModelFile
{
    private const string ManifestEntry = "manifest.json";
    private const string WeightsEntry = "encoder.bin";
    private const string IntegrityEntry = "integrity.sha256";
    private static readonly string[] Entries = [ManifestEntry, WeightsEntry, IntegrityEntry];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Reading manifests: a repeated key, a null for a non-nullable field or deep nesting is an error.</summary>
    private static readonly JsonSerializerOptions StrictJson = new()
    {
        AllowDuplicateProperties = false,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        MaxDepth = 8,
    };

    /// <summary>The methods a manifest may name: the registered ones, <see cref="ModelManifest.ImportedMethod"/> and <see cref="ModelManifest.RandomMethod"/>.</summary>
    private static readonly HashSet<string> KnownMethods =
        [.. MethodRegistry.Names, ModelManifest.ImportedMethod, ModelManifest.RandomMethod];

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
        Validate(manifest, FileSource(path));
        var manifestBytes = JsonSerializer.SerializeToUtf8Bytes(manifest, Json);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            ZipEntries.Write(zip, ManifestEntry, manifestBytes, CompressionLevel.Optimal);
            ZipEntries.Write(zip, WeightsEntry, weights, CompressionLevel.NoCompression);
            ZipEntries.Write(zip, IntegrityEntry, System.Text.Encoding.ASCII.GetBytes(IntegrityHash(manifestBytes, weights)), CompressionLevel.NoCompression);
        });
        return manifest;
    }

    /// <summary>Reads and validates only the manifest (no tensors are created). The integrity hash over manifest and weights
    /// needs the weights, so it is checked by <see cref="Load(string, torch.Device?)"/> and <see cref="ReadWeights(string)"/>, not here.</summary>
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
        Create(Read(bytes, sourceName, readWeights: true), Capitalize(sourceName), device);

    /// <summary>Loads a model file into an encoder ready for batched inference (eval mode, on <paramref name="device"/>).</summary>
    /// <exception cref="ModelFileException">The file is missing, truncated, corrupt, of an unknown version or does not match its manifest.</exception>
    public static PretrainedEncoder Load(string path, torch.Device? device = null) =>
        Create(Read(path, readWeights: true), FileSource(path), device);

    private static PretrainedEncoder Create((ModelManifest Manifest, byte[]? Weights) file, string source, torch.Device? device)
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
#pragma warning disable CA1031 // libtorch throws anything (ExternalException, …) on bytes it cannot use; report the file.
        catch (Exception e)
#pragma warning restore CA1031
        {
            encoder.Dispose();
            throw new ModelFileException($"{source}: the weights do not match the encoder in its manifest: {e.Message}", e);
        }
        return new PretrainedEncoder(manifest, encoder, device ?? torch.CPU);
    }

    private static (ModelManifest Manifest, byte[]? Weights) Read(string path, bool readWeights)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new ModelFileException($"Model file not found: {path}.");
        var source = FileSource(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            return Read(stream, source, readWeights);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFileException($"{source} cannot be read: {e.Message}", e);
        }
    }

    private static (ModelManifest Manifest, byte[]? Weights) Read(byte[] bytes, string sourceName, bool readWeights)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, Capitalize(sourceName), readWeights);
    }

    /// <summary>
    /// Reads and checks a model file, in this order, allocating nothing the manifest has not first been checked to allow:
    /// the zip's entry names; the manifest (at most <see cref="ModelFileLimits.MaxManifestBytes"/>, CRC-32, no duplicate
    /// JSON keys, every field within <see cref="ModelFileLimits"/>); then the weights entry, read only when its declared
    /// length equals the exact size of the manifest's encoder; the integrity hash over manifest and weights (format 2);
    /// the weights' SHA-256; and every tensor's name, dtype, shape and finiteness (<see cref="TorchStateDict.CheckEncoder"/>).
    /// </summary>
    private static (ModelManifest Manifest, byte[]? Weights) Read(Stream stream, string source, bool readWeights)
    {
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            ZipEntries.CheckNames(zip, source, Entries);
            var manifestBytes = ZipEntries.Read(zip, source, ManifestEntry, ModelFileLimits.MaxManifestBytes);
            var manifest = ParseManifest(manifestBytes, source);
            var config = Validate(manifest, source);
            if (!readWeights)
                return (manifest, null);
            var expected = TorchStateDict.ExpectedEncoder(config);
            var size = TorchStateDict.ExactSize(expected);
            var weightsEntry = zip.GetEntry(WeightsEntry) ?? throw new ModelFileException($"{source} has no '{WeightsEntry}' entry: it is not a complete EquiRecon file.");
            if (weightsEntry.Length != size)
                throw new ModelFileException($"{source}: the weights entry holds {weightsEntry.Length} bytes but the encoder in the manifest needs exactly {size}; the weights do not match the manifest.");
            var weights = ZipEntries.Read(zip, source, WeightsEntry, size);
            CheckIntegrity(zip, manifest, manifestBytes, weights, source);
            var sha = Convert.ToHexStringLower(SHA256.HashData(weights));
            if (!string.Equals(sha, manifest.WeightsSha256, StringComparison.OrdinalIgnoreCase))
                throw new ModelFileException($"{source}: the weights' SHA-256 is {sha} but the manifest records {manifest.WeightsSha256}; the file is corrupt.");
            TorchStateDict.CheckEncoder(weights, config, source);
            return (manifest, weights);
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException or IOException)
        {
            throw new ModelFileException($"{source} is truncated or not a model file (not a readable zip): {e.Message}", e);
        }
#pragma warning disable CA1031 // Every failure of reading a file is reported as a ModelFileException naming it (issue 14).
        catch (Exception e) when (e is not ModelFileException and not OutOfMemoryException and not OperationCanceledException)
#pragma warning restore CA1031
        {
            throw new ModelFileException($"{source} cannot be read: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static void CheckIntegrity(ZipArchive zip, ModelManifest manifest, byte[] manifestBytes, byte[] weights, string source)
    {
        var hasEntry = zip.GetEntry(IntegrityEntry) is not null;
        if (manifest.FormatVersion == 1)
        {
            if (hasEntry)
                throw new ModelFileException($"{source}: a format-1 file has no '{IntegrityEntry}' entry; the file is corrupt or was tampered with.");
            return;
        }
        if (!hasEntry)
            throw new ModelFileException($"{source}: format {manifest.FormatVersion} needs the '{IntegrityEntry}' entry (SHA-256 of manifest and weights); the file is incomplete or was tampered with.");
        var stored = System.Text.Encoding.ASCII.GetString(ZipEntries.Read(zip, source, IntegrityEntry, ModelFileLimits.MaxIntegrityBytes)).Trim();
        var actual = IntegrityHash(manifestBytes, weights);
        if (!string.Equals(stored, actual, StringComparison.Ordinal))
            throw new ModelFileException($"{source}: the SHA-256 of manifest and weights is {actual} but the file records {stored}; the file is corrupt.");
    }

    /// <summary>Lower-case hex SHA-256 of the manifest entry's bytes followed by the weights entry's bytes (format 2's <c>integrity.sha256</c>).</summary>
    private static string IntegrityHash(byte[] manifestBytes, byte[] weights)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(manifestBytes);
        hash.AppendData(weights);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static ModelManifest ParseManifest(byte[] bytes, string source)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(bytes, StrictJson)
                ?? throw new ModelFileException($"{source}: the manifest is empty.");
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or NotSupportedException or ArgumentException)
        {
            throw new ModelFileException($"{source}: the manifest is not valid JSON, repeats a key, or lacks or mistypes a required field: {e.Message}", e);
        }
    }

    /// <summary>
    /// Checks every manifest field against <see cref="ModelFileLimits"/> (no tensor is created) and returns the encoder's configuration.
    /// </summary>
    private static ResNetEncoderConfig Validate(ModelManifest m, string source)
    {
        if (m.FormatVersion is < 1 or > ModelManifest.CurrentFormatVersion)
            throw new ModelFileException($"{source} has format version {m.FormatVersion}; this library (EquiRecon {LibraryVersion}) reads versions 1 to {ModelManifest.CurrentFormatVersion}.");
        // Format 2 (and every save) names a known method; format-1 files, written before this check, may carry any short label.
        if (m.FormatVersion >= 2 ? string.IsNullOrEmpty(m.Method) || !KnownMethods.Contains(m.Method) : !IsLabel(m.Method))
            throw new ModelFileException($"{source}: the method '{m.Method}' is unknown; expected one of {string.Join(", ", KnownMethods.Order(StringComparer.Ordinal))}.");
        if (m.InputSize is < ModelFileLimits.MinInputSize or > ModelFileLimits.MaxInputSize)
            throw new ModelFileException($"{source}: input size {m.InputSize} is outside [{ModelFileLimits.MinInputSize}, {ModelFileLimits.MaxInputSize}].");
        if ((ModelFileLimits.MeanProblem(m.Mean) ?? ModelFileLimits.StdProblem(m.Std)) is { } normalization)
            throw new ModelFileException($"{source}: the manifest's normalisation is refused: {normalization}.");
        if (m.Encoder is null)
            throw new ModelFileException($"{source}: the manifest has no encoder.");
        if (m.LibraryVersion is null || m.LibraryVersion.Length > ModelFileLimits.MaxTextLength)
            throw new ModelFileException($"{source}: the manifest's library version is missing or longer than {ModelFileLimits.MaxTextLength} characters.");
        if (m.WeightsSha256 is null || m.WeightsSha256.Length != 64 || !m.WeightsSha256.All(char.IsAsciiHexDigit))
            throw new ModelFileException($"{source}: the manifest has no valid SHA-256 of the weights.");
        if (m.Provenance is null || m.Provenance.Count > ModelFileLimits.MaxProvenanceEntries)
            throw new ModelFileException($"{source}: the manifest's provenance is missing or has more than {ModelFileLimits.MaxProvenanceEntries} entries.");
        var e = m.Encoder;
        if (e.Widths is null || e.BlocksPerStage is null || e.Widths.Count is < 1 or > ModelFileLimits.MaxStages || e.BlocksPerStage.Count != e.Widths.Count)
            throw new ModelFileException($"{source}: the encoder needs 1 to {ModelFileLimits.MaxStages} stages, with as many widths as blocksPerStage.");
        if (e.Widths.Any(w => w is < 1 or > ModelFileLimits.MaxWidth))
            throw new ModelFileException($"{source}: encoder widths [{string.Join(", ", e.Widths)}] must lie in [1, {ModelFileLimits.MaxWidth}].");
        if (e.BlocksPerStage.Any(b => b is < 1 or > ModelFileLimits.MaxBlocksPerStage))
            throw new ModelFileException($"{source}: encoder blocks per stage [{string.Join(", ", e.BlocksPerStage)}] must lie in [1, {ModelFileLimits.MaxBlocksPerStage}].");
        if (e.InputOffsetSize is < 0 or > ModelFileLimits.MaxInputSize)
            throw new ModelFileException($"{source}: the encoder's input offset size {e.InputOffsetSize} is outside [0, {ModelFileLimits.MaxInputSize}].");
        ResNetEncoderConfig config;
        try
        {
            config = EncoderSpecs.ToConfig(e);
        }
        catch (ArgumentException ex)
        {
            throw new ModelFileException($"{source}: the encoder in the manifest is invalid: {ex.Message}", ex);
        }
        var size = TorchStateDict.ExactSize(TorchStateDict.ExpectedEncoder(config));
        if (size > ModelFileLimits.MaxWeightsBytes)
            throw new ModelFileException($"{source}: the encoder in the manifest needs {size} bytes of weights, more than the {ModelFileLimits.MaxWeightsBytes} a model file may hold.");
        return config;
    }

    /// <summary>A format-1 method label: 1 to <see cref="ModelFileLimits.MaxTextLength"/> ASCII letters, digits, '-', '_' or '.'.</summary>
    private static bool IsLabel(string? method) =>
        method is { Length: > 0 and <= ModelFileLimits.MaxTextLength } && method.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>How error messages name the model file at <paramref name="path"/>.</summary>
    private static string FileSource(string path) => $"Model file {path}";

    private static string Capitalize(string sourceName) =>
        string.IsNullOrEmpty(sourceName) ? "(in-memory model file)" : char.ToUpperInvariant(sourceName[0]) + sourceName[1..];
}
