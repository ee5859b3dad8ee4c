using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using EquiRecon.TorchSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Training;

/// <summary>
/// What must match between a checkpoint and the run that resumes from it: every setting that changes the result.
/// <paramref name="InitWeightsSha256"/> is the weights' SHA-256 of <see cref="PretrainingOptions.InitFrom"/> (null: random
/// initialisation); <paramref name="MethodSha256"/> hashes the method's whole configuration (objectives, weights, heads);
/// <paramref name="AugmentationSha256"/> the augmentation steps and their ranges; <paramref name="DataSha256"/> the images'
/// pixels, labels and class names (the data's identity, not only its size).
/// </summary>
internal sealed record CheckpointFingerprint(
    string Method, EncoderSpec Encoder, int ImageSize, int Classes, int DatasetSize, int TotalSteps, int BatchSize, long Seed,
    string? InitWeightsSha256, int FrozenStages,
    double LearningRate, double WeightDecay, double WarmupFraction, double MinLearningRateRatio, double? GradientClipNorm,
    IReadOnlyList<float> Mean, IReadOnlyList<float> Std,
    string MethodSha256, string AugmentationSha256, string DataSha256, TrainingPrecision Precision = TrainingPrecision.Fp32)
{
    /// <summary>Each setting that differs, named, with the checkpoint's value (<paramref name="other"/>) and this run's.</summary>
    public IEnumerable<string> Differences(CheckpointFingerprint other)
    {
        static string F(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "none";
        static string L(IReadOnlyList<float> v) => "(" + string.Join(", ", v.Select(x => x.ToString("R", CultureInfo.InvariantCulture))) + ")";
        static string D(string name, string checkpoint, string run) => $"{name}: {checkpoint} in the checkpoint, {run} in this run";
        if (Method != other.Method) yield return D("method", $"'{other.Method}'", $"'{Method}'");
        if (!EncoderSpecs.SameArchitecture(Encoder, other.Encoder)) yield return "encoder architecture";
        if (ImageSize != other.ImageSize) yield return D("image size", $"{other.ImageSize}", $"{ImageSize}");
        if (Classes != other.Classes) yield return D("classes", $"{other.Classes}", $"{Classes}");
        if (DatasetSize != other.DatasetSize) yield return D("dataset size", $"{other.DatasetSize}", $"{DatasetSize}");
        if (TotalSteps != other.TotalSteps) yield return D("total steps", $"{other.TotalSteps}", $"{TotalSteps}");
        if (BatchSize != other.BatchSize) yield return D("batch size", $"{other.BatchSize}", $"{BatchSize}");
        if (Seed != other.Seed) yield return D("seed", $"{other.Seed}", $"{Seed}");
        if (!string.Equals(InitWeightsSha256, other.InitWeightsSha256, StringComparison.OrdinalIgnoreCase))
            yield return D("InitFrom (initial weights' SHA-256)", other.InitWeightsSha256 ?? "none", InitWeightsSha256 ?? "none");
        if (FrozenStages != other.FrozenStages) yield return D("FrozenStages", $"{other.FrozenStages}", $"{FrozenStages}");
        if (LearningRate != other.LearningRate) yield return D("learning rate", F(other.LearningRate), F(LearningRate));
        if (WeightDecay != other.WeightDecay) yield return D("weight decay", F(other.WeightDecay), F(WeightDecay));
        if (WarmupFraction != other.WarmupFraction) yield return D("warm-up fraction", F(other.WarmupFraction), F(WarmupFraction));
        if (MinLearningRateRatio != other.MinLearningRateRatio) yield return D("minimum learning-rate ratio", F(other.MinLearningRateRatio), F(MinLearningRateRatio));
        if (GradientClipNorm != other.GradientClipNorm) yield return D("gradient clip norm", F(other.GradientClipNorm), F(GradientClipNorm));
        if (!Mean.SequenceEqual(other.Mean)) yield return D("mean", L(other.Mean), L(Mean));
        if (!Std.SequenceEqual(other.Std)) yield return D("std", L(other.Std), L(Std));
        if (MethodSha256 != other.MethodSha256) yield return D("method settings (objectives, loss weights, heads; SHA-256)", other.MethodSha256, MethodSha256);
        if (AugmentationSha256 != other.AugmentationSha256) yield return D("augmentation ranges (SHA-256)", other.AugmentationSha256, AugmentationSha256);
        if (DataSha256 != other.DataSha256) yield return D("data (SHA-256 of images, labels and class names)", other.DataSha256, DataSha256);
        if (Precision != other.Precision) yield return D("precision", $"{other.Precision}", $"{Precision}");
    }

    /// <summary>Lower-case hex SHA-256 of <paramref name="value"/>'s JSON form (records of settings).</summary>
    public static string HashOf(object value) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, value.GetType(), HashJson)));

    private static readonly JsonSerializerOptions HashJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
}

/// <summary>
/// A resumable training checkpoint: one zip with <c>state.json</c> (step, data position and the run's fingerprint),
/// <c>model.bin</c>, <c>optimizer.bin</c>, <c>rng.bin</c> and, written last, <c>sha256.json</c> (the SHA-256 of each of the
/// others). Written atomically (temporary file, flush, rename); the schedule is a pure function of the step. Loading
/// reads every entry with a size cap and its CRC-32, checks every hash, then the format and the fingerprint, and only then
/// restores anything; every failure is a <see cref="ModelFileException"/> naming the file. Format 1 checkpoints (no
/// hashes, a smaller fingerprint) are refused.
/// </summary>
internal static class Checkpoint
{
    public const int FormatVersion = 2;
    private const string StateEntry = "state.json";
    private const string ModelEntry = "model.bin";
    private const string OptimizerEntry = "optimizer.bin";
    private const string RngEntry = "rng.bin";
    private const string HashesEntry = "sha256.json";
    private const long MaxStateBytes = 1 << 20;
    private const long MaxRngBytes = 1 << 16;
    private static readonly string[] Payload = [StateEntry, ModelEntry, OptimizerEntry, RngEntry];
    private static readonly string[] Entries = [.. Payload, HashesEntry];
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions StrictJson = new() { AllowDuplicateProperties = false, RespectNullableAnnotations = true, MaxDepth = 16 };

    private sealed record State(
        [property: JsonPropertyName("formatVersion")] int FormatVersion,
        [property: JsonPropertyName("step")] int Step,
        [property: JsonPropertyName("epoch")] int Epoch,
        [property: JsonPropertyName("batchInEpoch")] int BatchInEpoch,
        [property: JsonPropertyName("fingerprint")] CheckpointFingerprint Fingerprint,
        [property: JsonPropertyName("libraryVersion")] string LibraryVersion,
        [property: JsonPropertyName("recomputedSteps")] int RecomputedSteps = 0,
        [property: JsonPropertyName("skippedSteps")] int SkippedSteps = 0);

    /// <summary>Only the format version of <c>state.json</c>, to name an older checkpoint's format.</summary>
    private sealed record VersionOnly([property: JsonPropertyName("formatVersion")] int FormatVersion);

    public static void Save(string path, nn.Module model, global::TorchSharp.Modules.OptimizerHelper optimizer, Generator generator,
        CheckpointFingerprint fingerprint, int step, int epoch, int batchInEpoch, int recomputedSteps = 0, int skippedSteps = 0)
    {
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            [StateEntry] = JsonSerializer.SerializeToUtf8Bytes(new State(FormatVersion, step, epoch, batchInEpoch, fingerprint, ModelFile.LibraryVersion, recomputedSteps, skippedSteps), Json),
            [ModelEntry] = ToBytes(s => model.save(s)),
            [OptimizerEntry] = ToBytes(s =>
            {
                using var writer = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(writer);
            }),
            [RngEntry] = ToBytes(s =>
            {
                using var state = generator.get_state();
                s.Write(state.data<byte>().ToArray());
            }),
        };
        var hashes = entries.ToDictionary(kv => kv.Key, kv => Convert.ToHexStringLower(SHA256.HashData(kv.Value)), StringComparer.Ordinal);
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var name in Payload)
                ZipEntries.Write(zip, name, entries[name], name == StateEntry ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            ZipEntries.Write(zip, HashesEntry, JsonSerializer.SerializeToUtf8Bytes(hashes, Json), CompressionLevel.Optimal);
        });
    }

    public static void Load(string path, nn.Module model, global::TorchSharp.Modules.OptimizerHelper optimizer, Generator generator,
        CheckpointFingerprint expected, Action<int, int, int> setState)
    {
        var source = $"Checkpoint {path}";
        try
        {
            // Caps: the model's own tensors (plus names) for model.bin; AdamW keeps two moments per parameter, and a step.
            var modelBytes = model.state_dict().Sum(kv => kv.Value.NumberOfElements * kv.Value.ElementSize + kv.Key.Length + 64) + 1024;
            var caps = new Dictionary<string, long>(StringComparer.Ordinal)
            {
                [StateEntry] = MaxStateBytes,
                [ModelEntry] = modelBytes,
                [OptimizerEntry] = 4 * modelBytes + (1 << 20),
                [RngEntry] = MaxRngBytes,
            };
            using var zip = ZipFile.OpenRead(path);
            ZipEntries.CheckNames(zip, source, Entries);
            if (zip.GetEntry(HashesEntry) is null)
            {
                var version = zip.GetEntry(StateEntry) is null ? 0
                    : JsonSerializer.Deserialize<VersionOnly>(ZipEntries.Read(zip, source, StateEntry, MaxStateBytes))?.FormatVersion ?? 0;
                throw new ModelFileException(version is > 0 and < FormatVersion
                    ? $"{source} has format version {version}, written by an older EquiRecon without integrity hashes; this library resumes only version {FormatVersion}. Delete it (or choose another output folder) to start fresh."
                    : $"{source} has no '{HashesEntry}' entry: it is incomplete or not an EquiRecon checkpoint.");
            }
            var hashes = JsonSerializer.Deserialize<Dictionary<string, string>>(ZipEntries.Read(zip, source, HashesEntry, 4096), StrictJson)
                ?? throw new ModelFileException($"{source}: '{HashesEntry}' is empty.");
            var bytes = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var name in Payload)
            {
                var data = ZipEntries.Read(zip, source, name, caps[name]);
                var actual = Convert.ToHexStringLower(SHA256.HashData(data));
                if (!hashes.TryGetValue(name, out var recorded) || !string.Equals(recorded, actual, StringComparison.Ordinal))
                    throw new ModelFileException($"{source}: the SHA-256 of '{name}' is {actual} but the checkpoint records {recorded ?? "none"}; the checkpoint is corrupt. Delete it to start fresh.");
                bytes[name] = data;
            }
            var state = JsonSerializer.Deserialize<State>(bytes[StateEntry], StrictJson)
                ?? throw new ModelFileException($"{source}: state.json is empty.");
            if (state.FormatVersion != FormatVersion)
                throw new ModelFileException($"{source} has format version {state.FormatVersion}; this library reads version {FormatVersion}.");
            if (state.Fingerprint is null)
                throw new ModelFileException($"{source}: state.json has no fingerprint.");
            var differences = expected.Differences(state.Fingerprint).ToArray();
            if (differences.Length > 0)
                throw new ModelFileException($"{source} was made by a different run ({string.Join("; ", differences)}); resume it with the same settings or choose another output folder.");
            if (state.Step is < 0 || state.Step > expected.TotalSteps)
                throw new ModelFileException($"{source}: step {state.Step} is outside [0, {expected.TotalSteps}].");
            if (state.RecomputedSteps < 0 || state.SkippedSteps < 0 || state.SkippedSteps > state.Step)
                throw new ModelFileException($"{source}: the guard's counts (recomputed {state.RecomputedSteps}, skipped {state.SkippedSteps}) do not fit step {state.Step}.");
            Restore(source, bytes, model, optimizer, generator);
            setState(state.Step, state.RecomputedSteps, state.SkippedSteps);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or IOException or NotSupportedException
            or FormatException or OverflowException or ArgumentException or InvalidOperationException)
        {
            throw new ModelFileException($"{source} is truncated or corrupt: {e.Message}", e);
        }
#pragma warning disable CA1031 // Every failure of reading a checkpoint is reported as a ModelFileException naming it (issue 14).
        catch (Exception e) when (e is not ModelFileException and not OutOfMemoryException and not OperationCanceledException)
#pragma warning restore CA1031
        {
            throw new ModelFileException($"{source} cannot be read: {e.GetType().Name}: {e.Message}", e);
        }
    }

    private static void Restore(string source, Dictionary<string, byte[]> bytes, nn.Module model,
        global::TorchSharp.Modules.OptimizerHelper optimizer, Generator generator)
    {
        try
        {
            using (var ms = new MemoryStream(bytes[ModelEntry]))
                model.load(ms, strict: true);
            using (var ms = new MemoryStream(bytes[OptimizerEntry]))
            using (var reader = new BinaryReader(ms))
                optimizer.load_state_dict(reader);
            using (var rng = torch.tensor(bytes[RngEntry], dtype: ScalarType.Byte))
                generator.set_state(rng);
        }
#pragma warning disable CA1031 // libtorch throws anything (ExternalException, …) on state it cannot use; report the file.
        catch (Exception e) when (e is not ModelFileException)
#pragma warning restore CA1031
        {
            throw new ModelFileException($"{source}: its hashes match but its state does not fit this run's model or optimizer: {e.Message}", e);
        }
    }

    private static byte[] ToBytes(Action<Stream> write)
    {
        using var ms = new MemoryStream();
        write(ms);
        return ms.ToArray();
    }
}
