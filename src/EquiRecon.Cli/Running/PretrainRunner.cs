using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.Cli.Running;

/// <summary>What <c>equirecon pretrain</c> was asked to do (the parsed options, before the data is read).</summary>
internal sealed record PretrainSettings
{
    /// <summary>The method (with its head sizes).</summary>
    public required MethodConfig Method { get; init; }

    /// <summary>How the encoder is named in the provenance.</summary>
    public required string EncoderName { get; init; }

    /// <summary>The encoder architecture.</summary>
    public required ResNetEncoderConfig Encoder { get; init; }

    /// <summary>The data folder.</summary>
    public required string DataPath { get; init; }

    /// <summary>The output folder (checkpoint, metrics, model).</summary>
    public required string OutDir { get; init; }

    /// <summary>Side the images are resized and centre-cropped to.</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Training options; <see cref="PretrainingOptions.Steps"/> is replaced when <see cref="Epochs"/> is set.</summary>
    public required PretrainingOptions Options { get; init; }

    /// <summary>Passes over the data instead of a step count (null: use the options' steps).</summary>
    public int? Epochs { get; init; }

    /// <summary>At most this many images per class.</summary>
    public int? LimitPerClass { get; init; }

    /// <summary>Leave out images that cannot be decoded (counted and named on the console) instead of stopping at the first.</summary>
    public bool SkipUnreadable { get; init; }

    /// <summary>Largest width × height of an image, read from its header before decoding (a larger one is unreadable: an error, or left out with <see cref="SkipUnreadable"/>).</summary>
    public long MaxImagePixels { get; init; } = ImageFolder.DefaultMaxImagePixels;

    /// <summary>Continue from <c>&lt;out&gt;/checkpoint.ckpt</c>.</summary>
    public bool Resume { get; init; }

    /// <summary>The command line, for the provenance.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>How a pretraining run ended.</summary>
/// <param name="Completed">All steps are done and the model file is written.</param>
/// <param name="AlreadyComplete">Nothing was done: a resumed run had already finished.</param>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps planned.</param>
/// <param name="WallSeconds">Wall time of this invocation.</param>
/// <param name="OutDir">The run's folder.</param>
internal sealed record PretrainOutcome(bool Completed, bool AlreadyComplete, int Step, int TotalSteps, double WallSeconds, string OutDir)
{
    public string ModelPath => Path.Combine(OutDir, PretrainRunner.ModelFileName);
}

/// <summary>
/// Runs one pretraining into a folder: <c>checkpoint.ckpt</c> (resumable), <c>metrics.jsonl</c> (one line per
/// progress report) and, when all steps are done, <c>model.equirecon</c> with provenance. Shared by
/// <c>pretrain</c> and <c>reproduce</c>.
/// </summary>
internal static class PretrainRunner
{
    public const string CheckpointFileName = "checkpoint.ckpt";
    public const string MetricsFileName = "metrics.jsonl";
    public const string ModelFileName = "model.equirecon";

    /// <summary>The checkpoint interval of the table runners' rows: every tenth of <paramref name="steps"/> (at least 1), so a killed row loses at most a tenth.</summary>
    public static int TenthOf(int steps) => Math.Max(1, steps / 10);

    /// <summary>Reads the data of <paramref name="settings"/> and trains.</summary>
    public static PretrainOutcome Run(PretrainSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(console);
        RefuseOverwrite(settings.OutDir, settings.Resume);
        CliOptions.RequireDevice(settings.Options.Device);
        var clock = Stopwatch.StartNew();
        var skipped = settings.SkipUnreadable ? new List<string>() : null;
        using var data = DataSources.ReadPretraining(settings.DataPath, settings.ImageSize, settings.LimitPerClass, skipped, settings.MaxImagePixels);
        if (skipped is { Count: > 0 })
        {
            const int shown = 5;
            console.Line($"Skipped {skipped.Count} unreadable image{(skipped.Count == 1 ? "" : "s")} (--skip-unreadable): {string.Join(", ", skipped.Take(shown))}{(skipped.Count > shown ? ", …" : "")}.");
        }
        console.Line($"Read {data.Count} images of {data.ClassNames.Count} classes ({data.Height} px) from {settings.DataPath} in {clock.Elapsed.TotalSeconds:F1} s.");
        if (data.Count < settings.Options.BatchSize)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"Option '--batch-size': {settings.Options.BatchSize} is more than the {data.Count} images in '{settings.DataPath}'."));
        var options = settings.Options;
        if (settings.Epochs is int epochs)
            options = options with { Steps = checked(epochs * (data.Count / options.BatchSize)) };
        var provenance = new Dictionary<string, string>
        {
            ["command"] = settings.CommandLine,
            ["data"] = Path.GetFullPath(settings.DataPath),
            ["encoder"] = settings.EncoderName,
        };
        if (settings.Epochs is int e)
            provenance["epochs"] = e.ToString(CultureInfo.InvariantCulture);
        if (settings.LimitPerClass is int limit)
            provenance["limit_per_class"] = limit.ToString(CultureInfo.InvariantCulture);
        if (skipped is { Count: > 0 })
            provenance["skipped_unreadable"] = skipped.Count.ToString(CultureInfo.InvariantCulture);
        return Train(data, settings.Method, settings.Encoder, options, settings.OutDir, settings.Resume, provenance, console, settings.Method.Name, cancellationToken);
    }

    /// <summary>
    /// Trains <paramref name="method"/> on <paramref name="data"/> into <paramref name="outDir"/>. Refuses an existing
    /// checkpoint unless <paramref name="resume"/>; a resumed run that had finished is left as it is.
    /// </summary>
    public static PretrainOutcome Train(ImageDataset data, MethodConfig method, ResNetEncoderConfig encoder, PretrainingOptions options,
        string outDir, bool resume, IReadOnlyDictionary<string, string> provenance, CliConsole console, string title, CancellationToken cancellationToken,
        Action<Pretrainer>? afterTraining = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        RefuseOverwrite(outDir, resume);
        CliOptions.RequireDevice(options.Device);
        Directory.CreateDirectory(outDir);
        var checkpoint = Path.Combine(outDir, CheckpointFileName);
        var metrics = Path.Combine(outDir, MetricsFileName);
        var model = Path.Combine(outDir, ModelFileName);
        options = options with { CheckpointPath = checkpoint };
        var resuming = resume && File.Exists(checkpoint);
        if (resume && !resuming)
            console.Line($"{title}: --resume given but there is no checkpoint at {checkpoint}; starting fresh.");

        var clock = Stopwatch.StartNew();
        using var trainer = resuming
            ? Pretrainer.Resume(method, encoder, options, data, checkpoint)
            : new Pretrainer(method, encoder, options, data);
        var startStep = trainer.Step;
        if (startStep >= options.Steps && File.Exists(model))
        {
            console.Line($"{title}: already complete ({startStep}/{options.Steps} steps, {model}); nothing to do.");
            return new PretrainOutcome(true, true, startStep, options.Steps, clock.Elapsed.TotalSeconds, outDir);
        }
        if (resuming)
        {
            console.Line($"{title}: resuming from step {startStep}/{options.Steps} ({checkpoint}).");
            TrimMetrics(metrics, startStep);
        }
        else if (File.Exists(metrics))
        {
            File.Delete(metrics);
        }

        bool completed;
        using (var log = new MetricsLog(metrics))
            completed = TrainingDisplay.Run(console, title, startStep, options.Steps, progress => trainer.Train(progress, log, cancellationToken));
        var seconds = clock.Elapsed.TotalSeconds;
        if (!completed)
        {
            console.Line($"{title}: stopped at step {trainer.Step}/{options.Steps}; checkpoint written to {checkpoint}. Run again with --resume to continue.");
            return new PretrainOutcome(false, false, trainer.Step, options.Steps, seconds, outDir);
        }
        afterTraining?.Invoke(trainer);
        var record = trainer.Provenance(provenance.TryGetValue("encoder", out var encoderName) ? encoderName : encoder.ToString());
        foreach (var (key, value) in provenance)
            record[key] = value;
        record["resumed_from_step"] = startStep.ToString(CultureInfo.InvariantCulture);
        record["wall_time_s"] = seconds.ToString("F1", CultureInfo.InvariantCulture);
        record["machine"] = MachineDescription();
        trainer.SaveModel(model, record);
        console.Line($"{title}: {options.Steps} steps done in {TrainingDisplay.Format(TimeSpan.FromSeconds(seconds))}; model written to {model}.");
        return new PretrainOutcome(true, false, trainer.Step, options.Steps, seconds, outDir);
    }

    /// <summary>Throws when <paramref name="outDir"/> holds a checkpoint and the run is not a resume.</summary>
    public static void RefuseOverwrite(string outDir, bool resume)
    {
        var checkpoint = Path.Combine(outDir, CheckpointFileName);
        if (!resume && File.Exists(checkpoint))
            throw new CliException($"Option '--out': '{outDir}' already holds a training checkpoint ({CheckpointFileName}). Pass --resume to continue that run, or choose another --out folder.");
    }

    /// <summary>Cores, OS and runtime, for provenance and reports.</summary>
    public static string MachineDescription() => string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, {RuntimeInformation.FrameworkDescription}");

    /// <summary>Drops metrics lines after the checkpoint's step (they will be trained again).</summary>
    private static void TrimMetrics(string path, int step)
    {
        if (!File.Exists(path))
            return;
        var kept = File.ReadAllLines(path).Where(line =>
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                return !doc.RootElement.TryGetProperty("step", out var s) || s.GetInt32() <= step;
            }
            catch (JsonException)
            {
                return false;
            }
        }).ToArray();
        File.WriteAllLines(path, kept);
    }
}
