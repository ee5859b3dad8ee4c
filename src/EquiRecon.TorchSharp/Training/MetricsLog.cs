using System.Globalization;
using System.Text.Json;

namespace EquiRecon.TorchSharp.Training;

/// <summary>Appends one JSON object per progress report to a JSON Lines file.</summary>
public sealed class MetricsLog : IDisposable
{
    private readonly StreamWriter _writer;

    /// <summary>Opens (or creates) <paramref name="path"/> for appending.</summary>
    public MetricsLog(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
        FilePath = path;
    }

    /// <summary>The file written.</summary>
    public string FilePath { get; }

    /// <summary>Writes one line for <paramref name="progress"/>.</summary>
    public void Write(TrainingProgress progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var record = new Dictionary<string, object>
        {
            ["step"] = progress.Step,
            ["epoch"] = progress.Epoch,
            ["lr"] = progress.LearningRate,
            ["images_per_s"] = Math.Round(progress.ImagesPerSecond, 2),
            ["elapsed_s"] = Math.Round(progress.Elapsed.TotalSeconds, 3),
            ["recomputed_steps"] = progress.RecomputedSteps,
            ["skipped_steps"] = progress.SkippedSteps,
            ["time"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in progress.Losses)
            record["loss/" + name] = value;
        _writer.WriteLine(JsonSerializer.Serialize(record));
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();
}
