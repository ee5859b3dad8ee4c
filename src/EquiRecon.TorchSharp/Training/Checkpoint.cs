using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using EquiRecon.TorchSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Training;

/// <summary>
/// What must match between a checkpoint and the run that resumes from it. <paramref name="InitWeightsSha256"/> is the
/// weights' SHA-256 of <see cref="PretrainingOptions.InitFrom"/> (null: random initialisation); checkpoints written
/// before these fields existed read as null and 0.
/// </summary>
internal sealed record CheckpointFingerprint(
    string Method, EncoderSpec Encoder, int ImageSize, int Classes, int DatasetSize, int TotalSteps, int BatchSize, long Seed,
    string? InitWeightsSha256 = null, int FrozenStages = 0)
{
    public IEnumerable<string> Differences(CheckpointFingerprint other)
    {
        if (Method != other.Method) yield return $"method '{other.Method}' ≠ '{Method}'";
        if (!EncoderSpecs.SameArchitecture(Encoder, other.Encoder)) yield return "encoder architecture";
        if (ImageSize != other.ImageSize) yield return $"image size {other.ImageSize} ≠ {ImageSize}";
        if (Classes != other.Classes) yield return $"classes {other.Classes} ≠ {Classes}";
        if (DatasetSize != other.DatasetSize) yield return $"dataset size {other.DatasetSize} ≠ {DatasetSize}";
        if (TotalSteps != other.TotalSteps) yield return $"total steps {other.TotalSteps} ≠ {TotalSteps}";
        if (BatchSize != other.BatchSize) yield return $"batch size {other.BatchSize} ≠ {BatchSize}";
        if (Seed != other.Seed) yield return $"seed {other.Seed} ≠ {Seed}";
        if (!string.Equals(InitWeightsSha256, other.InitWeightsSha256, StringComparison.OrdinalIgnoreCase))
            yield return $"InitFrom (initial weights' SHA-256): {other.InitWeightsSha256 ?? "none"} in the checkpoint, {InitWeightsSha256 ?? "none"} in this run";
        if (FrozenStages != other.FrozenStages) yield return $"FrozenStages: {other.FrozenStages} in the checkpoint, {FrozenStages} in this run";
    }
}

/// <summary>
/// A resumable training checkpoint: one zip with <c>state.json</c> (step, data position and the
/// run's fingerprint), <c>model.bin</c>, <c>optimizer.bin</c> and <c>rng.bin</c>. Written
/// atomically (temporary file, flush, rename); the schedule is a pure function of the step.
/// </summary>
internal static class Checkpoint
{
    public const int FormatVersion = 1;
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private sealed record State(
        [property: JsonPropertyName("formatVersion")] int FormatVersion,
        [property: JsonPropertyName("step")] int Step,
        [property: JsonPropertyName("epoch")] int Epoch,
        [property: JsonPropertyName("batchInEpoch")] int BatchInEpoch,
        [property: JsonPropertyName("fingerprint")] CheckpointFingerprint Fingerprint,
        [property: JsonPropertyName("libraryVersion")] string LibraryVersion);

    public static void Save(string path, nn.Module model, global::TorchSharp.Modules.OptimizerHelper optimizer, Generator generator,
        CheckpointFingerprint fingerprint, int step, int epoch, int batchInEpoch)
    {
        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            ZipEntries.Write(zip, "state.json", JsonSerializer.SerializeToUtf8Bytes(new State(FormatVersion, step, epoch, batchInEpoch, fingerprint, ModelFile.LibraryVersion), Json), CompressionLevel.Optimal);
            ZipEntries.Write(zip, "model.bin", s => model.save(s));
            ZipEntries.Write(zip, "optimizer.bin", s =>
            {
                using var writer = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(writer);
            });
            ZipEntries.Write(zip, "rng.bin", s =>
            {
                using var state = generator.get_state();
                var bytes = state.data<byte>().ToArray();
                s.Write(bytes);
            });
        });
    }

    public static void Load(string path, nn.Module model, global::TorchSharp.Modules.OptimizerHelper optimizer, Generator generator,
        CheckpointFingerprint expected, Action<int> setStep)
    {
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var state = JsonSerializer.Deserialize<State>(ZipEntries.Read(zip, path, "state.json"))
                ?? throw new ModelFileException($"Checkpoint {path}: state.json is empty.");
            if (state.FormatVersion != FormatVersion)
                throw new ModelFileException($"Checkpoint {path} has format version {state.FormatVersion}; this library reads version {FormatVersion}.");
            var differences = expected.Differences(state.Fingerprint).ToArray();
            if (differences.Length > 0)
                throw new ModelFileException($"Checkpoint {path} was made by a different run ({string.Join("; ", differences)}); resume it with the same settings or choose another output folder.");
            var modelBytes = ZipEntries.Read(zip, path, "model.bin");
            var optimizerBytes = ZipEntries.Read(zip, path, "optimizer.bin");
            var rngBytes = ZipEntries.Read(zip, path, "rng.bin");
            using (var ms = new MemoryStream(modelBytes))
                model.load(ms, strict: true);
            using (var ms = new MemoryStream(optimizerBytes))
            using (var reader = new BinaryReader(ms))
                optimizer.load_state_dict(reader);
            using (var rng = torch.tensor(rngBytes, dtype: ScalarType.Byte))
                generator.set_state(rng);
            setStep(state.Step);
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or EndOfStreamException or ArgumentException or InvalidOperationException)
        {
            throw new ModelFileException($"Checkpoint {path} is truncated or corrupt: {e.Message}", e);
        }
    }
}
