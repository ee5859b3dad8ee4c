using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EquiRecon.Cli.Reports;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;
using Spectre.Console;
using TorchSharp;

namespace EquiRecon.Cli.Running;

/// <summary>What <c>equirecon reproduce</c> was asked to do.</summary>
internal sealed record ReproduceSettings
{
    /// <summary><see cref="ReproduceTables.Cifar10"/> or <see cref="ReproduceTables.UnknownTransforms"/>.</summary>
    public required string Table { get; init; }

    /// <summary>The budget of every row.</summary>
    public required Budget Budget { get; init; }

    /// <summary>Folder with <c>train/</c> and <c>test/</c> image folders, or a CIFAR-10 binary folder.</summary>
    public required string DataPath { get; init; }

    /// <summary>Output folder.</summary>
    public required string OutDir { get; init; }

    /// <summary>Seeds 0 … Seeds − 1.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Skip finished rows and resume an interrupted one.</summary>
    public bool Resume { get; init; }

    /// <summary>The representation part the probes read.</summary>
    public RepresentationPart Part { get; init; } = RepresentationPart.All;

    /// <summary>Rows to run (default: every row of the table).</summary>
    public IReadOnlyList<string> Rows { get; init; } = ReproduceTables.Rows;

    /// <summary>Overrides the budget's device.</summary>
    public string? Device { get; init; }

    /// <summary>libtorch threads (null: its default).</summary>
    public int? Threads { get; init; }

    /// <summary>The command line, for provenance and the report.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>
/// Trains and evaluates every row of a table on one budget, each in <c>&lt;out&gt;/&lt;method&gt;-seed&lt;k&gt;/</c>, and
/// writes <c>results.csv</c>, <c>report.md</c>, <c>r2.png</c> and <c>reconstruction.png</c>.
/// </summary>
internal static class ReproduceRunner
{
    /// <summary>The run's record in the output folder (checked by <c>--resume</c>).</summary>
    public const string RunFile = "reproduce.json";

    /// <summary>The run's options (checked on resume) and the wall time of all its invocations so far.</summary>
    private sealed record RunRecord(string Table, string Budget, string Part, double WallSeconds = 0)
    {
        public bool SameRun(RunRecord other) => Table == other.Table && Budget == other.Budget && Part == other.Part;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Runs the table; returns the exit code.</summary>
    public static int Run(ReproduceSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(console);
        var started = DateTime.UtcNow;
        var clock = Stopwatch.StartNew();
        var budget = settings.Budget;
        budget.Validate();
        var device = settings.Device ?? budget.Device;
        CliOptions.RequireDevice(device);
        TorchNative.EnsureLoaded();
        if ((settings.Threads ?? budget.Threads) is int threads)
            torch.set_num_threads(threads);
        var earlierSeconds = CheckRunRecord(settings);
        Directory.CreateDirectory(settings.OutDir);
        var runRecord = new RunRecord(settings.Table, budget.Name, ProbeParts.Name(settings.Part), earlierSeconds);
        File.WriteAllText(Path.Combine(settings.OutDir, RunFile), JsonSerializer.Serialize(runRecord, Json));

        console.Line($"equirecon reproduce: table {settings.Table}, budget {budget.Name}, {settings.Rows.Count} rows × {settings.Seeds} seed(s), probes on the '{ProbeParts.Name(settings.Part)}' representation.");
        foreach (var (field, value) in budget.Describe())
            console.Line($"  {field,-20} {value}");

        using var images = ProbeImages.Read(settings.DataPath, budget);
        var train = images.Pretraining;
        using var known = DataSources.RandomSubset(train, (int)Math.Round(train.Count * ReproduceTables.KnownFraction), seed: 1);
        console.Line($"Read {train.Count} training and {images.Test.Count} test images ({train.ClassNames.Count} classes) in {clock.Elapsed.TotalSeconds:F1} s.");
        if (train.Count < budget.BatchSize)
            throw new CliException($"Option '--data': the training split has {train.Count} images, fewer than one batch of {budget.BatchSize}.");

        var rows = new List<ResultRow>();
        var reconstruction = false;
        var complete = true;
        var total = settings.Rows.Count * settings.Seeds;
        var index = 0;
        for (var seed = 0; seed < settings.Seeds && complete; seed++)
        {
            foreach (var method in settings.Rows)
            {
                index++;
                var title = string.Create(CultureInfo.InvariantCulture, $"[{index}/{total}] {method} seed {seed}");
                var data = ReproduceTables.NeedsKnownSubset(settings.Table, method) ? known : train;
                var rowParts = RunRow(settings, device, method, seed, data, images, title, console, cancellationToken);
                if (rowParts is null)
                {
                    complete = false;
                    break;
                }
                rows.AddRange(rowParts);
                if (method == "equirecon" && seed == 0)
                {
                    var source = Path.Combine(RowDir(settings, method, seed), ReproduceReport.ReconstructionFile);
                    if (File.Exists(source))
                    {
                        File.Copy(source, Path.Combine(settings.OutDir, ReproduceReport.ReconstructionFile), overwrite: true);
                        reconstruction = true;
                    }
                }
                ResultsCsv.Write(Path.Combine(settings.OutDir, ReproduceReport.CsvFile), rows);
            }
        }

        var summary = new ReproduceSummary
        {
            Table = settings.Table,
            TableNote = ReproduceTables.Note(settings.Table),
            Budget = budget,
            Part = ProbeParts.Name(settings.Part),
            Rows = rows,
            CommandLine = settings.CommandLine,
            DataPath = Path.GetFullPath(settings.DataPath),
            Machine = PretrainRunner.MachineDescription(),
            Threads = torch.get_num_threads(),
            Device = device,
            StartedUtc = started,
            WallSeconds = clock.Elapsed.TotalSeconds,
            TotalWallSeconds = earlierSeconds + clock.Elapsed.TotalSeconds,
            Seeds = settings.Seeds,
            Complete = complete,
            HasReconstruction = reconstruction || File.Exists(Path.Combine(settings.OutDir, ReproduceReport.ReconstructionFile)),
        };
        ReproduceReport.Write(settings.OutDir, summary);
        File.WriteAllText(Path.Combine(settings.OutDir, RunFile), JsonSerializer.Serialize(runRecord with { WallSeconds = earlierSeconds + summary.WallSeconds }, Json));
        PrintTable(console, summary);
        console.Line($"Wall time {TrainingDisplay.Format(clock.Elapsed)}. Wrote {Path.Combine(settings.OutDir, ReproduceReport.CsvFile)}, {ReproduceReport.MarkdownFile}, {ReproduceReport.R2PlotFile}{(summary.HasReconstruction ? ", " + ReproduceReport.ReconstructionFile : "")}.");
        if (!complete)
        {
            console.Text("Stopped before every row was done; run the same command with --resume to continue.");
            return ExitCodes.Cancelled;
        }
        return ExitCodes.Ok;
    }

    /// <summary>The folder of one row.</summary>
    public static string RowDir(ReproduceSettings settings, string method, int seed) =>
        Path.Combine(settings.OutDir, string.Create(CultureInfo.InvariantCulture, $"{method}-seed{seed}"));

    /// <summary>
    /// The pretraining options of one row: the budget's, checkpointing into the row's folder every tenth of
    /// the steps, so a killed run loses at most a tenth of a row.
    /// </summary>
    internal static PretrainingOptions RowOptions(ReproduceSettings settings, int seed, string dir, string device) =>
        settings.Budget.ToPretrainingOptions(seed, Path.Combine(dir, PretrainRunner.CheckpointFileName), device, settings.Threads);

    /// <summary>Trains (or skips) and evaluates one row; one result per probed part, the main part first; null when cancelled.</summary>
    private static ResultRow[]? RunRow(ReproduceSettings settings, string device, string method, int seed, ImageDataset data,
        ProbeImages probes, string title, CliConsole console, CancellationToken cancellationToken)
    {
        var budget = settings.Budget;
        var dir = RowDir(settings, method, seed);
        var modelPath = Path.Combine(dir, PretrainRunner.ModelFileName);
        var evaluationPath = Path.Combine(dir, "evaluation.json");
        if (settings.Resume && File.Exists(modelPath) && EvaluationReport.TryLoad(evaluationPath) is { } done
            && done.Context.TryGetValue("budget", out var doneBudget) && doneBudget == budget.Name
            && done.Context.TryGetValue("protocol", out var doneProtocol) && doneProtocol == BudgetProtocol.Version)
        {
            console.Line($"{title}: done before, skipped ({evaluationPath}).");
            return ToRows(method, seed, done, settings.Part);
        }
        if (cancellationToken.IsCancellationRequested)
            return null;

        var provenance = new Dictionary<string, string>
        {
            ["command"] = settings.CommandLine,
            ["data"] = Path.GetFullPath(settings.DataPath),
            ["encoder"] = budget.EncoderName,
            ["budget"] = budget.Name,
            ["table"] = settings.Table,
        };
        double trainSeconds;
        if (method == ReproduceTables.Random)
        {
            var clock = Stopwatch.StartNew();
            PretrainRunner.RefuseOverwrite(dir, settings.Resume);
            Directory.CreateDirectory(dir);
            torch.manual_seed(seed);
            using var encoder = EncoderFactory.Create(budget.Encoder);
            provenance["method"] = ReproduceTables.Random;
            provenance["steps"] = "0";
            provenance["seed"] = seed.ToString(CultureInfo.InvariantCulture);
            ModelFile.Save(modelPath, encoder, ReproduceTables.Random, budget.ImageSize, ImageTensors.Cifar10Mean, ImageTensors.Cifar10Std, provenance);
            trainSeconds = clock.Elapsed.TotalSeconds;
            console.Line($"{title}: untrained encoder saved to {modelPath}.");
        }
        else
        {
            var config = MethodRegistry.Get(method).WithHeadSizes(budget.Heads);
            var options = RowOptions(settings, seed, dir, device);
            Action<Pretrainer>? picture = config.Reconstruction is null ? null : trainer =>
                ReconstructionGrid.Write(trainer, probes.ProbeTest, Path.Combine(dir, ReproduceReport.ReconstructionFile),
                    $"{method}: view A, view B, reconstruction of B (test images, budget {budget.Name})", seed: seed);
            var outcome = PretrainRunner.Train(data, config, budget.Encoder, options, dir, settings.Resume, provenance, console, title, cancellationToken, picture);
            if (!outcome.Completed)
                return null;
            trainSeconds = outcome.WallSeconds;
        }

        console.Line($"{title}: evaluating ({probes.ProbeTrain.Count} probe-train and {probes.ProbeTest.Count} probe-test pairs; classification {probes.ClassifierTrain.Count} / {probes.Test.Count} images)…");
        using var model = ModelFile.Load(modelPath, torch.device(device));
        var evaluation = BudgetProtocol.Evaluate(model, probes, budget, seed, modelPath, settings.DataPath, console.Text) with
        {
            Context = new Dictionary<string, string>
            {
                ["budget"] = budget.Name,
                ["protocol"] = BudgetProtocol.Version,
                ["table"] = settings.Table,
                ["train_seconds"] = trainSeconds.ToString("F1", CultureInfo.InvariantCulture),
                ["train_images"] = (method == ReproduceTables.Random ? 0 : data.Count).ToString(CultureInfo.InvariantCulture),
                ["steps"] = (method == ReproduceTables.Random ? 0 : budget.Steps).ToString(CultureInfo.InvariantCulture),
            },
        };
        evaluation.Save(evaluationPath);
        return ToRows(method, seed, evaluation, settings.Part);
    }

    /// <summary>One result per probed part of <paramref name="e"/>, <paramref name="main"/> first.</summary>
    private static ResultRow[] ToRows(string method, int seed, EvaluationReport e, RepresentationPart main) =>
        BudgetProtocol.Parts.Where(p => p != main).Prepend(main).Select(p => ToRow(method, seed, e, p)).ToArray();

    private static ResultRow ToRow(string method, int seed, EvaluationReport e, RepresentationPart part)
    {
        var name = ProbeParts.Name(part);
        var r2 = new Dictionary<string, double>(StringComparer.Ordinal);
        var r2Sk = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var probe in ResultRow.Probes)
        {
            if (e.Find(probe, name) is { } score)
            {
                r2[probe] = score.R2Global;
                r2Sk[probe] = score.R2PerOutput;
            }
        }
        var cls = e.Classification.FirstOrDefault(c => c.Part == name);
        double Context(string key) => e.Context.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
        return new ResultRow(method, seed, r2, r2Sk, cls?.LinearTop1 ?? double.NaN, cls?.KnnTop1 ?? double.NaN, name,
            (int)Context("train_images"), (int)Context("steps"), Context("train_seconds"), e.Seconds);
    }

    /// <summary>Refuses an existing run unless resuming it with the same options; returns its earlier wall time.</summary>
    private static double CheckRunRecord(ReproduceSettings settings)
    {
        var path = Path.Combine(settings.OutDir, RunFile);
        if (!File.Exists(path))
            return 0;
        if (!settings.Resume)
            throw new CliException($"Option '--out': '{settings.OutDir}' already holds a reproduce run ({RunFile}). Pass --resume to continue it, or choose another --out folder.");
        RunRecord? record;
        try
        {
            record = JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            record = null;
        }
        var expected = new RunRecord(settings.Table, settings.Budget.Name, ProbeParts.Name(settings.Part));
        if (record is not null && !record.SameRun(expected))
            throw new CliException($"Option '--resume': '{settings.OutDir}' holds a run of table '{record.Table}', budget '{record.Budget}', part '{record.Part}'; this command asks for table '{expected.Table}', budget '{expected.Budget}', part '{expected.Part}'. Use the same options or another --out folder.");
        return record?.WallSeconds ?? 0;
    }

    private static void PrintTable(CliConsole console, ReproduceSummary summary)
    {
        var table = new Table().Title($"R² (SIE's definition, part '{summary.Part}'), budget '{summary.Budget.Name}' — poster's numbers in parentheses");
        table.AddColumn("method");
        foreach (var p in ResultRow.Probes)
            table.AddColumn(new TableColumn(p).RightAligned());
        table.AddColumn(new TableColumn("top-1").RightAligned());
        table.AddColumn(new TableColumn("kNN top-1").RightAligned());
        var main = summary.MainRows;
        foreach (var method in ReproduceReport.Methods(main))
        {
            var rows = main.Where(r => r.Method == method).ToArray();
            PosterNumbers.Row? poster = null;
            PosterNumbers.For(summary.Table)?.TryGetValue(method, out poster);
            var cells = new List<string> { method };
            foreach (var p in ResultRow.Probes)
            {
                var ours = Mean(rows.Select(r => r.R2Of(p)));
                var reference = poster is not null
                    ? string.Create(CultureInfo.InvariantCulture, $" ({PosterNumbers.Of(poster, p):F3})") : "";
                cells.Add(string.Create(CultureInfo.InvariantCulture, $"{ours:F3}{reference}"));
            }
            cells.Add(string.Create(CultureInfo.InvariantCulture, $"{Mean(rows.Select(r => r.Top1)):P1}"));
            cells.Add(string.Create(CultureInfo.InvariantCulture, $"{Mean(rows.Select(r => r.KnnTop1)):P1}"));
            table.AddRow(cells.Select(c => Markup.Escape(c)).ToArray());
        }
        console.Ansi.Write(table);
    }

    private static double Mean(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? double.NaN : finite.Average();
    }
}
