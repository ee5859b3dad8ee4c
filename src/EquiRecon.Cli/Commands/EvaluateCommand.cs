using System.CommandLine;
using System.Globalization;
using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;
using Spectre.Console;
using TorchSharp;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// <c>equirecon evaluate</c>: probes a frozen model — transformation prediction (R² in SIE's and scikit-learn's
/// definitions) and classification (linear and kNN top-1) — prints a table and writes <c>evaluation.json</c>.
/// </summary>
internal static class EvaluateCommand
{
    /// <summary>Default <c>--probes</c>.</summary>
    public const string DefaultProbes = "rot,color,blur,trans,cls";

    /// <summary>The file written beside the model unless <c>--out</c> says otherwise.</summary>
    public const string DefaultFileName = "evaluation.json";

    internal sealed class Options
    {
        public Option<FileInfo> Model { get; } = CliOptions.ExistingFile("--model", "The model file (model.equirecon) to evaluate.");
        public Option<DirectoryInfo> Data { get; } = CliOptions.ExistingDirectory("--data", "Folder with train/ and test/ class folders (the CIFAR-10 layout), or a CIFAR-10 binary folder.");
        public Option<string> Probes { get; } = CreateProbes();
        public Option<string> Part { get; } = CliOptions.Part();
        public Option<int> TrainImages { get; } = CliOptions.Int("--train-images", "Images the probes train on (class-balanced, from train/).", 2000, minimum: 2);
        public Option<int> TestImages { get; } = CliOptions.Int("--test-images", "Images the probes are scored on (class-balanced, from test/).", 1000, minimum: 2);
        public Option<int> Seed { get; } = CliOptions.Int("--seed", "Seed of the sampled transformations and of the probes.", 0, minimum: 0);
        public Option<int> ProbeEpochs { get; } = CliOptions.Int("--probe-epochs", "Epochs of the regression probe (MLP).", 100);
        public Option<int> ProbeHidden { get; } = CliOptions.Int("--probe-hidden", "Hidden width of the regression probe (SIE: 1024).", 1024);
        public Option<int> LinearEpochs { get; } = CliOptions.Int("--linear-epochs", "Epochs of the linear classification probe.", 100);
        public Option<int> KnnK { get; } = CliOptions.Int("--knn-k", "Neighbours of the kNN classifier.", 20);
        public Option<FileInfo?> Out { get; } = new("--out") { Description = $"Where to write the JSON results (default: {DefaultFileName} beside the model)." };
        public Option<string> Device { get; } = CliOptions.Device();
        public Option<int?> Threads { get; } = CliOptions.Threads();
        public Option<string?> Budget { get; } = new("--budget")
        {
            Description = "Probe with the protocol of a reproduce budget (" + string.Join(", ", Budgets.Names) + "): its images, probe pairs and probe settings, every representation part, " +
                          "so the numbers sit beside that budget's table. The image, probe and part options are then not allowed.",
        };

        public IEnumerable<Option> All =>
            [Model, Data, Probes, Part, TrainImages, TestImages, Seed, ProbeEpochs, ProbeHidden, LinearEpochs, KnnK, Out, Device, Threads, Budget];

        /// <summary>Options that <c>--budget</c> fixes.</summary>
        public IEnumerable<Option> FixedByBudget => [Probes, Part, TrainImages, TestImages, ProbeEpochs, ProbeHidden, LinearEpochs, KnnK];

        private static Option<string> CreateProbes()
        {
            var option = new Option<string>("--probes")
            {
                Description = "Comma-separated probes: rot, color, blur, trans, crop, flip (R² of the transformation's parameters) and cls (linear and kNN top-1).",
                DefaultValueFactory = _ => DefaultProbes,
            };
            option.Validators.Add(result =>
            {
                try
                {
                    ProbeNames.Parse(result.GetValueOrDefault<string>() ?? "");
                }
                catch (CliException e)
                {
                    result.AddError(e.Message);
                }
            });
            return option;
        }
    }

    public static Command Create()
    {
        var options = new Options();
        var command = new Command("evaluate", "Probe a frozen model: R² of transformation prediction (pairwise probe) and classification top-1 (linear, kNN). Prints a table and writes evaluation.json.");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction(parse => CommandRunner.Run(parse, (console, _) => Run(options, parse, console)));
        return command;
    }

    private static int Run(Options o, ParseResult parse, CliConsole console)
    {
        var modelPath = parse.GetRequiredValue(o.Model).FullName;
        var dataPath = parse.GetRequiredValue(o.Data).FullName;
        var (kinds, classification) = ProbeNames.Parse(parse.GetRequiredValue(o.Probes));
        var parts = ProbeParts.Parse(parse.GetRequiredValue(o.Part));
        var device = parse.GetRequiredValue(o.Device);
        var seed = parse.GetValue(o.Seed);
        var outPath = parse.GetValue(o.Out)?.FullName ?? Path.Combine(Path.GetDirectoryName(modelPath) ?? ".", DefaultFileName);
        CliOptions.RequireDevice(device);
        TorchNative.EnsureLoaded();
        if (parse.GetValue(o.Threads) is int threads)
            torch.set_num_threads(threads);

        if (parse.GetValue(o.Budget) is string budgetName)
            return RunBudget(o, parse, console, Budgets.Get(budgetName), modelPath, dataPath, device, seed, outPath);

        var manifest = ModelFile.ReadManifest(modelPath);
        using var train = DataSources.ReadSplit(dataPath, train: true, manifest.InputSize, parse.GetValue(o.TrainImages));
        using var test = DataSources.ReadSplit(dataPath, train: false, manifest.InputSize, parse.GetValue(o.TestImages));
        using var encoder = ModelFile.Load(modelPath, torch.device(device));
        console.Line($"Evaluating {modelPath} (method {manifest.Method}, {manifest.InputSize} px) on {train.Count} probe-training and {test.Count} test images from {dataPath}.");
        var settings = new EvaluationSettings
        {
            Kinds = kinds,
            Classification = classification,
            Parts = parts,
            Regression = new ProbeOptions { Epochs = parse.GetValue(o.ProbeEpochs), Hidden = parse.GetValue(o.ProbeHidden), Seed = seed },
            Linear = new LinearProbeOptions { Epochs = parse.GetValue(o.LinearEpochs), Seed = seed },
            Knn = new KnnOptions { K = parse.GetValue(o.KnnK) },
            Seed = seed,
        };
        var report = Evaluator.Evaluate(encoder, train, test, settings, modelPath, dataPath) with
        {
            Context = new Dictionary<string, string> { ["command"] = CliOptions.CommandLine(parse) },
        };
        Print(console, report);
        report.Save(outPath);
        console.Line($"Wrote {outPath} ({report.Seconds:F1} s).");
        return ExitCodes.Ok;
    }

    /// <summary><c>evaluate --budget</c>: the tables' protocol (<see cref="BudgetProtocol"/>) on one model.</summary>
    private static int RunBudget(Options o, ParseResult parse, CliConsole console, Budget budget, string modelPath, string dataPath, string device, int seed, string outPath)
    {
        var fixedOptions = o.FixedByBudget.Where(option => parse.GetResult(option) is { Implicit: false }).Select(option => option.Name).ToArray();
        if (fixedOptions.Length > 0)
            throw new CliException($"Option '--budget': it fixes the probes, their images and settings; remove {string.Join(", ", fixedOptions)}.");
        var manifest = ModelFile.ReadManifest(modelPath);
        if (manifest.InputSize != budget.ImageSize)
            throw new CliException($"Option '--budget': budget '{budget.Name}' probes {budget.ImageSize}-px images; the model file {modelPath} takes {manifest.InputSize} px.");
        using var images = ProbeImages.Read(dataPath, budget);
        using var encoder = ModelFile.Load(modelPath, torch.device(device));
        console.Line($"Evaluating {modelPath} (method {manifest.Method}) with the protocol of budget '{budget.Name}': {images.ProbeTrain.Count} probe-train and {images.ProbeTest.Count} probe-test pairs of test-split images; classification {images.ClassifierTrain.Count} / {images.Test.Count} images.");
        var report = BudgetProtocol.Evaluate(encoder, images, budget, seed, modelPath, dataPath, console.Text) with
        {
            Context = new Dictionary<string, string>
            {
                ["command"] = CliOptions.CommandLine(parse),
                ["budget"] = budget.Name,
                ["protocol"] = BudgetProtocol.Version,
            },
        };
        Print(console, report);
        report.Save(outPath);
        console.Line($"Wrote {outPath} ({report.Seconds:F1} s).");
        return ExitCodes.Ok;
    }

    /// <summary>Prints the report as tables.</summary>
    internal static void Print(CliConsole console, EvaluationReport report)
    {
        if (report.Transformations.Count > 0)
        {
            var table = new Table().Title("Transformation prediction, R² on held-out images");
            table.AddColumn("probe");
            table.AddColumn("part");
            table.AddColumn(new TableColumn("R² (SIE, global)").RightAligned());
            table.AddColumn(new TableColumn("R² (scikit-learn)").RightAligned());
            foreach (var t in report.Transformations)
                table.AddRow(t.Probe, t.Part, F(t.R2Global), F(t.R2PerOutput));
            console.Ansi.Write(table);
        }
        if (report.Classification.Count > 0)
        {
            var table = new Table().Title("Classification top-1");
            table.AddColumn("part");
            table.AddColumn(new TableColumn("linear probe").RightAligned());
            table.AddColumn(new TableColumn("kNN").RightAligned());
            foreach (var c in report.Classification)
                table.AddRow(c.Part, P(c.LinearTop1), P(c.KnnTop1));
            console.Ansi.Write(table);
        }
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static string P(double v) => v.ToString("P1", CultureInfo.InvariantCulture);
}
