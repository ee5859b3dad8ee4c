using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EquiRecon.Cli.Reports;
using EquiRecon.Onnx;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Cli.Running;

/// <summary>What <c>equirecon reproduce --table imagenette|transfer</c> was asked to do.</summary>
internal sealed record NaturalImageSettings
{
    /// <summary><see cref="NaturalImageTables.Imagenette"/> or <see cref="NaturalImageTables.Transfer"/>.</summary>
    public required string Table { get; init; }

    /// <summary>The budget.</summary>
    public required NaturalImageBudget Budget { get; init; }

    /// <summary>Imagenette: the imagenette-160 folder. Transfer: the folder holding imagenette-160/, dtd10/, cifar10/ and camvid/.</summary>
    public required string DataPath { get; init; }

    /// <summary>Output folder.</summary>
    public required string OutDir { get; init; }

    /// <summary>Seeds 0 … Seeds − 1.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Skip finished rows and resume an interrupted one.</summary>
    public bool Resume { get; init; }

    /// <summary>Rows to run (default: every row of the table).</summary>
    public required IReadOnlyList<string> Rows { get; init; }

    /// <summary>Where ML.NET's ResNet18.onnx is (a folder or the file); null: the NuGet global packages folder.</summary>
    public string? OnnxSource { get; init; }

    /// <summary>Transfer: the output folder of an Imagenette run whose row encoders are evaluated.</summary>
    public string? EncodersFrom { get; init; }

    /// <summary>libtorch threads (null: its default).</summary>
    public int? Threads { get; init; }

    /// <summary>The command line, for provenance and the report.</summary>
    public string CommandLine { get; init; } = "";
}

/// <summary>
/// Runs the natural-image tables. <c>imagenette</c>: imports ML.NET's ImageNet ResNet-18 at the budget's image size,
/// continues pretraining it with each method on Imagenette train (minus held-out probe images), and scores every row
/// with the six transformation probes on each representation part and a linear classifier. <c>transfer</c>: linear
/// top-1 on DTD10, CIFAR-10 (upsampled) and Imagenette, and CamVid mIoU through the ML.NET <c>Segmentation</c> step,
/// for the encoders of an Imagenette run.
/// </summary>
internal static class NaturalImageRunner
{
    /// <summary>The run's record in the output folder (checked by <c>--resume</c>).</summary>
    public const string RunFile = "reproduce.json";

    /// <summary>The backbone imported at the budget's size, in the output folder.</summary>
    public const string BackboneFile = "backbone.equirecon";

    /// <summary>The six transformations of the seed's ImageNet table, in report order.</summary>
    public static IReadOnlyList<TransformKind> Kinds { get; } =
        [TransformKind.Rotation, TransformKind.Color, TransformKind.Blur, TransformKind.Translation, TransformKind.Crop, TransformKind.Flip];

    /// <summary>The representation parts every row is probed on.</summary>
    public static IReadOnlyList<RepresentationPart> Parts { get; } = [RepresentationPart.All, RepresentationPart.Invariant, RepresentationPart.Equivariant];

    private sealed record RunRecord(string Table, string Budget, double WallSeconds = 0);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Runs the table; returns the exit code.</summary>
    public static int Run(NaturalImageSettings settings, CliConsole console, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(console);
        settings.Budget.Validate();
        var unknown = settings.Rows.Where(r => !NaturalImageTables.RowsOf(settings.Table).Contains(r, StringComparer.Ordinal)).ToArray();
        if (unknown.Length > 0)
            throw new CliException($"Option '--methods': table '{settings.Table}' has no row '{unknown[0]}'. Its rows: {string.Join(", ", NaturalImageTables.RowsOf(settings.Table))}.");
        TorchNative.EnsureLoaded();
        if ((settings.Threads ?? settings.Budget.Threads) is int threads)
            torch.set_num_threads(threads);
        var earlier = CheckRunRecord(settings);
        Directory.CreateDirectory(settings.OutDir);
        File.WriteAllText(Path.Combine(settings.OutDir, RunFile), JsonSerializer.Serialize(new RunRecord(settings.Table, settings.Budget.Name, earlier), Json));
        console.Line($"equirecon reproduce: table {settings.Table}, budget {settings.Budget.Name}, {settings.Rows.Count} rows × {settings.Seeds} seed(s).");
        foreach (var (field, value) in settings.Budget.Describe())
            console.Line($"  {field,-18} {value}");
        var clock = Stopwatch.StartNew();
        var started = DateTime.UtcNow;
        var (rows, complete) = settings.Table == NaturalImageTables.Transfer
            ? RunTransfer(settings, console, cancellationToken)
            : RunImagenette(settings, console, cancellationToken);
        var summary = new NaturalImageSummary
        {
            Table = settings.Table,
            Budget = settings.Budget,
            Rows = rows,
            CommandLine = settings.CommandLine,
            Machine = PretrainRunner.MachineDescription(),
            Threads = torch.get_num_threads(),
            StartedUtc = started,
            WallSeconds = clock.Elapsed.TotalSeconds,
            TotalWallSeconds = earlier + clock.Elapsed.TotalSeconds,
            Seeds = settings.Seeds,
            Complete = complete,
        };
        NaturalImageReport.Write(settings.OutDir, summary);
        File.WriteAllText(Path.Combine(settings.OutDir, RunFile), JsonSerializer.Serialize(new RunRecord(settings.Table, settings.Budget.Name, summary.TotalWallSeconds), Json));
        foreach (var line in NaturalImageReport.ConsoleLines(summary))
            console.Text(line);
        console.Line($"Wall time {TrainingDisplay.Format(clock.Elapsed)}. Wrote {Path.Combine(settings.OutDir, NaturalImageReport.MarkdownFile)} and {NaturalImageReport.CsvFile}.");
        if (!complete)
        {
            console.Text("Stopped before every row was done; run the same command with --resume to continue.");
            return ExitCodes.Cancelled;
        }
        return ExitCodes.Ok;
    }

    /// <summary>The folder of one row.</summary>
    public static string RowDir(string outDir, string method, int seed) =>
        Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{method}-seed{seed}"));

    private static (IReadOnlyList<NaturalImageRow> Rows, bool Complete) RunImagenette(NaturalImageSettings settings, CliConsole console, CancellationToken token)
    {
        var budget = settings.Budget;
        var clock = Stopwatch.StartNew();
        using var all = DataSources.ReadSplit(settings.DataPath, train: true, budget.ImageSize, count: null);
        using var test = DataSources.ReadSplit(settings.DataPath, train: false, budget.ImageSize, budget.ProbeTestImages);
        var (heldOutIndices, pretrainIndices) = HoldOut(all, budget.ProbeTrainImages, seed: 0);
        using var heldOut = Subset(all, heldOutIndices);
        var pretrainCount = budget.PretrainImages is int cap ? Math.Min(cap, pretrainIndices.Length) : pretrainIndices.Length;
        using var pretrain = Subset(all, pretrainIndices.Take(pretrainCount).Order().ToArray());
        console.Line($"Read {all.Count} training images ({pretrain.Count} to pretrain on, {heldOut.Count} held out for the probes) and {test.Count} test images at {budget.ImageSize} px in {clock.Elapsed.TotalSeconds:F1} s.");
        if (pretrain.Count < budget.BatchSize)
            throw new CliException($"Option '--data': {pretrain.Count} pretraining images are fewer than one batch of {budget.BatchSize}.");
        var backbone = EnsureBackbone(settings, console);
        var rows = new List<NaturalImageRow>();
        for (var seed = 0; seed < settings.Seeds; seed++)
        {
            foreach (var method in settings.Rows)
            {
                var title = string.Create(CultureInfo.InvariantCulture, $"{method} seed {seed}");
                var row = ImagenetteRow(settings, backbone, method, seed, pretrain, heldOut, test, title, console, token);
                if (row is null)
                    return (rows, false);
                rows.Add(row);
                NaturalImageReport.WriteCsv(Path.Combine(settings.OutDir, NaturalImageReport.CsvFile), rows);
            }
        }
        return (rows, true);
    }

    private static NaturalImageRow? ImagenetteRow(NaturalImageSettings settings, string backbone, string method, int seed,
        ImageDataset pretrain, ImageDataset heldOut, ImageDataset test, string title, CliConsole console, CancellationToken token)
    {
        var budget = settings.Budget;
        var dir = RowDir(settings.OutDir, method, seed);
        var modelPath = Path.Combine(dir, PretrainRunner.ModelFileName);
        var evaluationPath = Path.Combine(dir, "evaluation.json");
        if (settings.Resume && File.Exists(modelPath) && EvaluationReport.TryLoad(evaluationPath) is { } done
            && done.Context.TryGetValue("budget", out var b) && b == budget.Name)
        {
            console.Line($"{title}: done before, skipped ({evaluationPath}).");
            return NaturalImageRow.From(method, seed, done);
        }
        if (token.IsCancellationRequested)
            return null;
        var trainSeconds = 0.0;
        var trained = 0;
        var backboneManifest = ModelFile.ReadManifest(backbone);
        if (method == NaturalImageTables.Imported)
        {
            Directory.CreateDirectory(dir);
            File.Copy(backbone, modelPath, overwrite: true);
            console.Line($"{title}: the imported backbone as it is ({modelPath}).");
        }
        else if (method == ReproduceTables.Random)
        {
            PretrainRunner.RefuseOverwrite(dir, settings.Resume);
            Directory.CreateDirectory(dir);
            torch.manual_seed(seed);
            using var encoder = EncoderFactory.Create(EncoderSpecs.ToConfig(backboneManifest.Encoder));
            ModelFile.Save(modelPath, encoder, ReproduceTables.Random, budget.ImageSize, backboneManifest.Mean, backboneManifest.Std, new Dictionary<string, string>
            {
                ["command"] = settings.CommandLine,
                ["table"] = settings.Table,
                ["budget"] = budget.Name,
                ["seed"] = seed.ToString(CultureInfo.InvariantCulture),
                ["note"] = "untrained mlnet-resnet18 layout (initialisation only)",
            });
            console.Line($"{title}: untrained encoder saved to {modelPath}.");
        }
        else
        {
            var config = MethodRegistry.Get(method).WithHeadSizes(budget.Heads);
            var options = new PretrainingOptions
            {
                Steps = budget.Steps,
                BatchSize = budget.BatchSize,
                LearningRate = budget.LearningRate,
                Seed = seed,
                Threads = settings.Threads ?? budget.Threads,
                CheckpointEvery = PretrainRunner.TenthOf(budget.Steps),
                ReportEvery = budget.ReportEvery,
                FrozenStages = budget.FrozenStages,
            }.ContinuingFrom(backbone);
            var provenance = new Dictionary<string, string>
            {
                ["command"] = settings.CommandLine,
                ["data"] = DataIdentity(settings.DataPath),
                ["encoder"] = MlNetResNet18Import.EncoderName,
                ["budget"] = budget.Name,
                ["table"] = settings.Table,
            };
            Action<Pretrainer>? picture = config.Reconstruction is null ? null : trainer =>
                ReconstructionGrid.Write(trainer, test, Path.Combine(dir, ReproduceReport.ReconstructionFile),
                    $"{method}: view A, view B, reconstruction of B (Imagenette test images, budget {budget.Name})", seed: seed);
            var outcome = PretrainRunner.Train(pretrain, config, EncoderSpecs.ToConfig(backboneManifest.Encoder), options, dir, settings.Resume,
                provenance, console, title, token, picture);
            if (!outcome.Completed)
                return null;
            trainSeconds = outcome.WallSeconds;
            trained = pretrain.Count;
        }

        console.Line($"{title}: evaluating ({heldOut.Count} held-out training and {test.Count} test images, {Kinds.Count} transformations, parts all/invariant/equivariant)…");
        using var model = ModelFile.Load(modelPath);
        var evaluation = Evaluator.Evaluate(model, heldOut, test, new EvaluationSettings
        {
            Kinds = Kinds,
            Classification = true,
            Parts = Parts,
            Regression = budget.RegressionProbe(seed),
            Linear = budget.LinearProbe(seed),
            Seed = seed,
            BatchSize = 64,
            ShareImageEmbeddings = true,
        }, modelPath, settings.DataPath, console.Text) with
        {
            Context = new Dictionary<string, string>
            {
                ["budget"] = budget.Name,
                ["table"] = settings.Table,
                ["train_seconds"] = trainSeconds.ToString("F1", CultureInfo.InvariantCulture),
                ["train_images"] = trained.ToString(CultureInfo.InvariantCulture),
                ["steps"] = (trained == 0 ? 0 : budget.Steps).ToString(CultureInfo.InvariantCulture),
            },
        };
        evaluation.Save(evaluationPath);
        return NaturalImageRow.From(method, seed, evaluation);
    }

    private static (IReadOnlyList<NaturalImageRow> Rows, bool Complete) RunTransfer(NaturalImageSettings settings, CliConsole console, CancellationToken token)
    {
        var budget = settings.Budget;
        var from = settings.EncodersFrom
            ?? throw new CliException("Option '--encoders-from': the transfer table evaluates the encoders of an Imagenette run; pass its --out folder.");
        string Need(string sub)
        {
            var path = Path.Combine(settings.DataPath, sub);
            return Directory.Exists(path) ? path
                : throw new CliException($"Option '--data': the transfer table needs '{sub}/' in '{settings.DataPath}' (imagenette-160, dtd10, cifar10 and camvid).");
        }
        var sets = new (string Name, string Path)[]
        {
            ("imagenette", Need(NaturalImageTables.TransferData.Imagenette)),
            ("dtd10", Need(NaturalImageTables.TransferData.Dtd)),
            ("cifar10", Need(NaturalImageTables.TransferData.Cifar10)),
        };
        var camvid = Need(NaturalImageTables.TransferData.CamVid);
        var clock = Stopwatch.StartNew();
        var data = new List<(string Name, ImageDataset Train, ImageDataset Test)>();
        try
        {
            foreach (var (name, path) in sets)
            {
                var train = DataSources.ReadSplit(path, train: true, budget.ImageSize, budget.TransferTrainImages);
                var test = DataSources.ReadSplit(path, train: false, budget.ImageSize, budget.TransferTestImages);
                data.Add((name, train, test));
                console.Line($"{name}: {train.Count} train / {test.Count} test images at {budget.ImageSize} px ({clock.Elapsed.TotalSeconds:F0} s).");
            }
            var rows = new List<NaturalImageRow>();
            for (var seed = 0; seed < settings.Seeds; seed++)
            {
                foreach (var method in settings.Rows)
                {
                    if (token.IsCancellationRequested)
                        return (rows, false);
                    var title = string.Create(CultureInfo.InvariantCulture, $"{method} seed {seed}");
                    var modelPath = Path.Combine(RowDir(from, method, seed), PretrainRunner.ModelFileName);
                    if (!File.Exists(modelPath))
                        throw new CliException($"Option '--encoders-from': '{modelPath}' does not exist; run `reproduce --table imagenette` into '{from}' first (row {method}).");
                    var dir = RowDir(settings.OutDir, method, seed);
                    var resultPath = Path.Combine(dir, "transfer.json");
                    if (settings.Resume && NaturalImageRow.TryLoad(resultPath) is { } done)
                    {
                        console.Line($"{title}: done before, skipped ({resultPath}).");
                        rows.Add(done);
                        continue;
                    }
                    Directory.CreateDirectory(dir);
                    var rowClock = Stopwatch.StartNew();
                    var top1 = new Dictionary<string, double>(StringComparer.Ordinal);
                    using (var model = ModelFile.Load(modelPath))
                    {
                        if (model.InputSize != budget.ImageSize)
                            throw new CliException($"Option '--encoders-from': '{modelPath}' takes {model.InputSize}-px images but budget '{budget.Name}' uses {budget.ImageSize} px.");
                        foreach (var (name, train, test) in data)
                        {
                            using var scope = NewDisposeScope();
                            var a = Evaluator.PooledFeatures(model, train, 64);
                            var b = Evaluator.PooledFeatures(model, test, 64);
                            var linear = LinearClassifierProbe.Fit(a, train.Labels, b, test.Labels, budget.LinearProbe(seed));
                            top1[name] = linear.Top1;
                            console.Line($"{title}: {name,-10} linear top-1 {linear.Top1:P1}");
                        }
                    }
                    var camvidScore = CamVidTransfer.Evaluate(modelPath, camvid, new CamVidSettings
                    {
                        ImageSize = budget.ImageSize,
                        TrainImages = budget.CamVidTrainImages,
                        TestImages = budget.CamVidTestImages,
                        Epochs = budget.CamVidEpochs,
                    }, seed, console.Text);
                    console.Line($"{title}: camvid     mIoU {camvidScore.MeanIoU:F3} (pixel accuracy {camvidScore.PixelAccuracy:P1})");
                    var row = new NaturalImageRow(method, seed, new Dictionary<string, double>(), new Dictionary<string, double>(),
                        top1, camvidScore.MeanIoU, 0, 0, 0, rowClock.Elapsed.TotalSeconds);
                    row.Save(resultPath);
                    rows.Add(row);
                    NaturalImageReport.WriteCsv(Path.Combine(settings.OutDir, NaturalImageReport.CsvFile), rows);
                }
            }
            return (rows, true);
        }
        finally
        {
            foreach (var (_, train, test) in data)
            {
                train.Dispose();
                test.Dispose();
            }
        }
    }

    /// <summary>The imported backbone at the budget's size: imported once into the output folder, reused on resume.</summary>
    private static string EnsureBackbone(NaturalImageSettings settings, CliConsole console)
    {
        var path = Path.Combine(settings.OutDir, BackboneFile);
        if (File.Exists(path))
        {
            var manifest = ModelFile.ReadManifest(path);
            if (manifest.InputSize == settings.Budget.ImageSize)
                return path;
        }
        var (onnx, prep) = MlNetResNet18Import.LocateFiles(settings.OnnxSource);
        var imported = MlNetResNet18Import.Import(onnx, prep, path, settings.Budget.ImageSize, new Dictionary<string, string> { ["command"] = settings.CommandLine });
        console.Line($"Imported {onnx} at {imported.InputSize} px into {path} (weights SHA-256 {imported.WeightsSha256}).");
        return path;
    }

    /// <summary>What identifies the data in provenance: the folder's name and the number of files under it, not where it lay.</summary>
    private static string DataIdentity(string dataPath) =>
        string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(dataPath))} ({Directory.EnumerateFiles(dataPath, "*", SearchOption.AllDirectories).Count()} files)");

    /// <summary>
    /// A class-balanced, seeded hold-out: <paramref name="count"/> images (the same number from each class, rounded up)
    /// and the rest, both as sorted indices into <paramref name="data"/>.
    /// </summary>
    internal static (long[] HeldOut, long[] Others) HoldOut(ImageDataset data, int count, long seed)
    {
        var labels = data.Labels.data<long>().ToArray();
        var classes = labels.Distinct().Order().ToArray();
        var perClass = (count + classes.Length - 1) / classes.Length;
        var rng = new Random(unchecked((int)(seed * 7919 + 17)));
        var held = new List<long>();
        foreach (var c in classes)
        {
            var members = Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).Select(i => (long)i).ToArray();
            rng.Shuffle(members);
            held.AddRange(members.Take(perClass));
        }
        var heldSorted = held.Take(count).Order().ToArray();
        var heldSet = heldSorted.ToHashSet();
        var rest = Enumerable.Range(0, labels.Length).Select(i => (long)i).Where(i => !heldSet.Contains(i)).ToArray();
        rng.Shuffle(rest);
        return (heldSorted, rest);
    }

    private static ImageDataset Subset(ImageDataset data, long[] indices)
    {
        using var t = tensor(indices);
        return data.Subset(t);
    }

    private static double CheckRunRecord(NaturalImageSettings settings)
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
        if (record is not null && (record.Table != settings.Table || record.Budget != settings.Budget.Name))
            throw new CliException($"Option '--resume': '{settings.OutDir}' holds a run of table '{record.Table}', budget '{record.Budget}'; this command asks for table '{settings.Table}', budget '{settings.Budget.Name}'.");
        return record?.WallSeconds ?? 0;
    }
}
