using System.CommandLine;
using EquiRecon.Cli.Running;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// <c>equirecon reproduce</c>: trains and evaluates every row of a table (the SIE variants, VICReg, EquiRecon,
/// supervised, and an untrained encoder) on one named budget, and writes results.csv, report.md and PNG plots.
/// </summary>
internal static class ReproduceCommand
{
    internal sealed class Options
    {
        public Option<string> Table { get; } = CliOptions.OneOf("--table",
            "cifar10: the seed's CIFAR-10 table; unknown-transforms: the poster's experiment (SIE and supervised see only the 20 % of images with known transformations); " +
            "imagenette: ML.NET's ImageNet ResNet-18 imported and continued with each method on Imagenette (--data: the imagenette-160 folder); " +
            "transfer: linear top-1 on Imagenette, DTD10, CIFAR-10 and CamVid mIoU for the encoders of an imagenette run (--data: the folder holding those data sets; --encoders-from).",
            [.. ReproduceTables.Names, .. NaturalImageTables.Names], ReproduceTables.Cifar10);
        public Option<string> Budget { get; } = CliOptions.OneOf("--budget",
            "smoke (< 5 min on 2 cores, pipeline check), small (about 1 h on 2 cores), full (paper scale, for a GPU).",
            Budgets.Names, required: true);
        public Option<DirectoryInfo> Data { get; } = CliOptions.ExistingDirectory("--data", "Folder with train/ and test/ class folders (the CIFAR-10 layout), or a CIFAR-10 binary folder.");
        public Option<DirectoryInfo> Out { get; } = new("--out") { Description = "Output folder: results.csv, report.md, r2.png, reconstruction.png and one <method>-seed<k>/ folder per row.", Required = true };
        public Option<int> Seeds { get; } = CliOptions.Int("--seeds", "Number of seeds (0 … N−1) per row.", 1);
        public Option<bool> Resume { get; } = new("--resume") { Description = "Skip finished rows and resume an interrupted one." };
        public Option<string> Part { get; } = CliOptions.OneOf("--part",
            "Representation part the probes read: all (default, the whole pooled representation), invariant or equivariant.",
            ["all", "invariant", "equivariant"], "all");
        public Option<string> Methods { get; } = CreateMethods();
        public Option<string?> Device { get; } = CliOptions.OptionalDevice($"Override the budget's device: {EquiRecon.TorchSharp.Runtime.ComputeDevice.Forms}.");
        public Option<int?> Threads { get; } = CliOptions.Threads();
        public Option<string> Precision { get; } = CliOptions.Precision();
        public Option<string?> Onnx { get; } = new("--onnx")
        {
            Description = "Table imagenette: ML.NET's ResNet18.onnx (the file, or a folder holding it and ResNetPreprocess.onnx); default: package Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1 in the NuGet global packages folder.",
        };
        public Option<DirectoryInfo?> EncodersFrom { get; } = new("--encoders-from")
        {
            Description = "Table transfer: the --out folder of a `reproduce --table imagenette` run whose row encoders are evaluated.",
        };

        public IEnumerable<Option> All => [Table, Budget, Data, Out, Seeds, Resume, Part, Methods, Device, Threads, Precision, Onnx, EncodersFrom];

        public NaturalImageSettings ReadNatural(ParseResult parse)
        {
            var table = parse.GetRequiredValue(Table);
            var methods = parse.GetResult(Methods) is { Implicit: false } ? CliOptions.SplitList(parse.GetRequiredValue(Methods)) : NaturalImageTables.RowsOf(table);
            return new()
            {
                Table = table,
                Budget = NaturalImageBudgets.Get(parse.GetRequiredValue(Budget)),
                DataPath = parse.GetRequiredValue(Data).FullName,
                OutDir = parse.GetRequiredValue(Out).FullName,
                Seeds = parse.GetValue(Seeds),
                Resume = parse.GetValue(Resume),
                Rows = methods,
                OnnxSource = parse.GetValue(Onnx),
                EncodersFrom = parse.GetValue(EncodersFrom)?.FullName,
                Threads = parse.GetValue(Threads),
                CommandLine = CliOptions.CommandLine(parse),
            };
        }

        public ReproduceSettings Read(ParseResult parse) => new()
        {
            Table = parse.GetRequiredValue(Table),
            Budget = Budgets.Get(parse.GetRequiredValue(Budget)) with { Precision = CliOptions.ParsePrecision(parse.GetRequiredValue(Precision)) },
            DataPath = parse.GetRequiredValue(Data).FullName,
            OutDir = parse.GetRequiredValue(Out).FullName,
            Seeds = parse.GetValue(Seeds),
            Resume = parse.GetValue(Resume),
            Part = ProbeParts.Parse(parse.GetRequiredValue(Part))[0],
            Rows = CliOptions.SplitList(parse.GetRequiredValue(Methods)),
            Device = parse.GetValue(Device),
            Threads = parse.GetValue(Threads),
            CommandLine = CliOptions.CommandLine(parse),
        };

        private static Option<string> CreateMethods()
        {
            var option = new Option<string>("--methods")
            {
                Description = "Comma-separated subset of the rows: " + string.Join(", ", ReproduceTables.Rows) + "; for imagenette/transfer: " + string.Join(", ", NaturalImageTables.AllRows) + " (default: all rows of the table).",
                DefaultValueFactory = _ => string.Join(',', ReproduceTables.Rows),
            };
            option.Validators.Add(result =>
            {
                var names = CliOptions.SplitList(result.GetValueOrDefault<string>() ?? "");
                if (names.Length == 0)
                    result.AddError("Option '--methods' is empty.");
                foreach (var name in names.Where(n => !ReproduceTables.Rows.Contains(n, StringComparer.Ordinal) && !NaturalImageTables.AllRows.Contains(n, StringComparer.Ordinal)))
                    result.AddError($"Option '--methods': unknown row '{name}'. Choose from: {string.Join(", ", ReproduceTables.Rows.Union(NaturalImageTables.AllRows))}.");
            });
            return option;
        }
    }

    public static Command Create()
    {
        var options = new Options();
        var command = new Command("reproduce", "Train and evaluate every row of a table (SIE variants, VICReg, EquiRecon, supervised, untrained) on one budget; writes results.csv, report.md, r2.png and reconstruction.png.");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction(parse => CommandRunner.Run(parse, (console, token) => NaturalImageTables.Contains(parse.GetRequiredValue(options.Table))
            ? NaturalImageRunner.Run(options.ReadNatural(parse), console, token)
            : ReproduceRunner.Run(options.Read(parse), console, token)));
        return command;
    }
}
