using System.Text.Json;
using EquiRecon.Cli.Reports;
using EquiRecon.Cli.Running;

namespace EquiRecon.Cli.Tests.Running;

public sealed class ReproduceRunnerTests
{
    private static ReproduceSettings Settings(string data, string outDir, bool resume = false, string table = ReproduceTables.Cifar10,
        IReadOnlyList<string>? rows = null, Budget? budget = null) => new()
    {
        Table = table,
        Budget = budget ?? TinyData.Budget,
        DataPath = data,
        OutDir = outDir,
        Resume = resume,
        Rows = rows ?? ["equirecon", "random"],
        Threads = 1,
        CommandLine = "equirecon reproduce (test)",
    };

    [Fact]
    public void A_tiny_table_writes_rows_report_plots_and_resume_skips_finished_rows()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("data"));
        var outDir = dir.Sub("out");
        using var output = new StringWriter();

        var code = ReproduceRunner.Run(Settings(data, outDir), Cli.Console(output), CancellationToken.None);

        code.Should().Be(0, output.ToString());
        var csv = File.ReadAllLines(Path.Combine(outDir, "results.csv"));
        csv[0].Should().StartWith(ResultsCsv.Header);
        // One line per (method, seed, part): the main part first, then the two halves.
        var partColumn = Array.IndexOf(csv[0].Split(','), "part");
        csv.Skip(1).Select(l => l.Split(',')[0] + "/" + l.Split(',')[partColumn]).Should().Equal(
            "equirecon/all", "equirecon/invariant", "equirecon/equivariant", "random/all", "random/invariant", "random/equivariant");
        File.Exists(Path.Combine(outDir, "equirecon-seed0", "checkpoint.ckpt")).Should().BeTrue();
        File.Exists(Path.Combine(outDir, "equirecon-seed0", "evaluation.json")).Should().BeTrue();
        File.Exists(Path.Combine(outDir, "random-seed0", "model.equirecon")).Should().BeTrue();
        File.Exists(Path.Combine(outDir, "reconstruction.png")).Should().BeTrue();
        File.Exists(Path.Combine(outDir, "r2.png")).Should().BeTrue();
        var report = File.ReadAllText(Path.Combine(outDir, "report.md"));
        report.Should().Contain("budget `unit-test`").And.Contain("0.972").And.Contain("| steps per row | 2");
        output.ToString().Should().Contain("kNN top-1");

        using var again = new StringWriter();
        var resumed = ReproduceRunner.Run(Settings(data, outDir, resume: true), Cli.Console(again), CancellationToken.None);
        resumed.Should().Be(0);
        again.ToString().Should().Contain("equirecon seed 0: done before, skipped").And.Contain("random seed 0: done before, skipped");
        File.ReadAllLines(Path.Combine(outDir, "results.csv")).Should().Equal(csv);
    }

    [Fact]
    public void Rows_write_a_checkpoint_every_tenth_of_their_steps_into_their_folder()
    {
        // A run killed without Ctrl+C (a session that ends) must lose at most a tenth of a row.
        var settings = Settings("data", "out", budget: Budgets.Small);
        var dir = ReproduceRunner.RowDir(settings, "vicreg", 0);

        var options = ReproduceRunner.RowOptions(settings, 0, dir, "cpu");

        options.CheckpointEvery.Should().Be(Budgets.Small.Steps / 10);
        options.CheckpointPath.Should().Be(Path.Combine(dir, PretrainRunner.CheckpointFileName));
        options.Steps.Should().Be(Budgets.Small.Steps);
        options.Validate();
    }

    [Fact]
    public void A_second_run_into_the_same_folder_needs_resume_and_the_same_options()
    {
        using var dir = new TempDir();
        var outDir = Directory.CreateDirectory(dir.Sub("out")).FullName;
        File.WriteAllText(Path.Combine(outDir, ReproduceRunner.RunFile), """{"Table":"cifar10","Budget":"unit-test","Part":"all"}""");
        using var output = new StringWriter();

        var refuse = () => ReproduceRunner.Run(Settings(dir.Path, outDir), Cli.Console(output), CancellationToken.None);
        refuse.Should().Throw<CliException>().WithMessage("*already holds a reproduce run*--resume*");

        var other = () => ReproduceRunner.Run(Settings(dir.Path, outDir, resume: true, budget: TinyData.Budget with { Name = "other" }), Cli.Console(output), CancellationToken.None);
        other.Should().Throw<CliException>().WithMessage("*budget 'unit-test'*budget 'other'*");
    }

    [Fact]
    public void Unknown_transforms_train_sie_on_the_known_fifth_only()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("data"));
        var outDir = dir.Sub("out");
        using var output = new StringWriter();
        var budget = TinyData.Budget with { BatchSize = 4, Steps = 1 };

        var code = ReproduceRunner.Run(Settings(data, outDir, table: ReproduceTables.UnknownTransforms, rows: ["sie-rot", "vicreg"], budget: budget),
            Cli.Console(output), CancellationToken.None);

        code.Should().Be(0, output.ToString());
        int Images(string row)
        {
            using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, row, "evaluation.json")));
            return int.Parse(json.RootElement.GetProperty("context").GetProperty("train_images").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        }
        Images("sie-rot-seed0").Should().Be(6, "20 % of the 32 training images");
        Images("vicreg-seed0").Should().Be(32);
        File.ReadAllText(Path.Combine(outDir, "report.md")).Should().Contain("unknown-transforms").And.NotContain("0.989");
    }
}
