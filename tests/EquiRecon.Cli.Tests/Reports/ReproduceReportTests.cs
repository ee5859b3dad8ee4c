using EquiRecon.Cli.Reports;

namespace EquiRecon.Cli.Tests.Reports;

public sealed class ReproduceReportTests
{
    private static ResultRow Row(string method, int seed, double offset) => new(
        method, seed,
        new Dictionary<string, double> { ["rot"] = 0.10 + offset, ["color"] = 0.20 + offset, ["blur"] = 0.30 + offset, ["trans"] = 0.40 + offset },
        new Dictionary<string, double> { ["rot"] = 0.11 + offset, ["color"] = 0.15 + offset, ["blur"] = 0.31 + offset, ["trans"] = 0.41 + offset },
        Top1: 0.25 + offset, KnnTop1: 0.22 + offset, Part: "all", TrainImages: 2048, Steps: 48, TrainSeconds: 3.5, EvalSeconds: 1.25);

    private static ReproduceSummary Summary(IReadOnlyList<ResultRow> rows, string table = "cifar10", int seeds = 1) => new()
    {
        Table = table,
        TableNote = "Table note for the test.",
        Budget = Budgets.Smoke,
        Part = "all",
        Rows = rows,
        CommandLine = "equirecon reproduce --budget smoke",
        DataPath = "/data/cifar10",
        Machine = "2 cores, Linux",
        Threads = 2,
        Device = "cpu",
        StartedUtc = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc),
        WallSeconds = 95,
        Seeds = seeds,
        HasReconstruction = true,
        HasR2Plot = true,
    };

    [Fact]
    public void Results_csv_starts_with_the_fixed_header_and_has_one_line_per_row()
    {
        var text = ResultsCsv.Format([Row("equirecon", 0, 0), Row("random", 0, -0.05)]);
        var lines = text.TrimEnd('\n').Split('\n');
        lines[0].Should().StartWith("method,seed,rot_r2,color_r2,blur_r2,trans_r2,top1,");
        lines[0].Split(',').Should().Contain(["knn_top1", "r2_definition", "train_seconds"]);
        lines.Should().HaveCount(3);
        lines[1].Should().StartWith("equirecon,0,0.1000,0.2000,0.3000,0.4000,0.2500,0.2200,");
        lines[1].Split(',').Should().HaveCount(lines[0].Split(',').Length);
        lines[2].Should().StartWith("random,0,0.0500,");
    }

    [Fact]
    public void Report_has_a_halves_table_when_the_rows_were_probed_by_part()
    {
        var rows = new[] { Row("equirecon", 0, 0), Row("equirecon", 0, -0.1) with { Part = "invariant" }, Row("equirecon", 0, 0.05) with { Part = "equivariant" } };
        var md = ReproduceReport.Markdown(Summary(rows));

        md.Should().Contain("R² from each half of the representation");
        md.Should().Contain("| equirecon | invariant | 0.000 | 0.100 | 0.200 | 0.300 | 0.150 |");
        md.Should().Contain("| equirecon | equivariant | 0.150 | 0.250 | 0.350 | 0.450 | 0.300 |");
        // The main table reads only the main part.
        md.Should().Contain("| equirecon | 0.100 | 0.826 |");
    }

    [Fact]
    public void The_unknown_transforms_table_shows_its_own_poster_numbers()
    {
        var md = ReproduceReport.Markdown(Summary([Row("equirecon", 0, 0), Row("supervised", 0, 0)], table: "unknown-transforms"));
        md.Should().Contain("| equirecon | 0.100 | 0.815 |").And.Contain("| supervised | 0.100 | 0.214 |");
    }

    [Fact]
    public void Missing_values_are_empty_cells()
    {
        var row = Row("random", 0, 0) with { R2 = new Dictionary<string, double>(), Top1 = double.NaN };
        ResultsCsv.Format([row]).Split('\n')[1].Should().StartWith("random,0,,,,,,0.2200,");
    }

    [Fact]
    public void Report_has_the_budget_record_and_the_poster_numbers_beside_ours()
    {
        var md = ReproduceReport.Markdown(Summary([Row("sie-rot", 0, 0), Row("equirecon", 0, 0.1), Row("random", 0, -0.05)]));

        md.Should().Contain("budget `smoke`");
        foreach (var (field, value) in Budgets.Smoke.Describe())
            md.Should().Contain($"| {field} | {value} |");
        md.Should().Contain("| rot | rot (poster) |");
        md.Should().Contain("| sie-rot | 0.100 | 0.989 | 0.200 | 0.887 | 0.300 | 0.836 | 0.400 | 0.911 | 0.250 | 0.220 |");
        md.Should().Contain("| equirecon | 0.200 | 0.826 | 0.300 | 0.906 | 0.400 | 0.972 | 0.500 | 0.890 |");
        md.Should().Contain("| random | 0.050 | — |");
        md.Should().Contain("2 cores, Linux").And.Contain("wall time: 0:01:35").And.Contain("equirecon reproduce --budget smoke");
        md.Should().Contain("part probed: **all**").And.Contain("SIE's definition");
        md.Should().Contain("(r2.png)").And.Contain("(reconstruction.png)").And.Contain("Table note for the test.");
    }

    [Fact]
    public void Several_seeds_are_reported_as_mean_and_standard_deviation()
    {
        var md = ReproduceReport.Markdown(Summary([Row("vicreg", 0, 0), Row("vicreg", 1, 0.1)], seeds: 2));
        md.Should().Contain("| vicreg | 0.150 ± 0.071 | — |");
    }

    [Fact]
    public void Poster_numbers_stay_out_of_other_tables()
    {
        var md = ReproduceReport.Markdown(Summary([Row("sie-rot", 0, 0)], table: "unknown-transforms"));
        md.Should().NotContain("0.989");
    }

    [Fact]
    public void Write_produces_csv_markdown_and_a_png_plot()
    {
        using var dir = new TempDir();
        ReproduceReport.Write(dir.Path, Summary([Row("sie-rot", 0, 0), Row("equirecon", 0, 0.1), Row("random", 0, -0.3)]));

        File.ReadAllText(dir.Sub("results.csv")).Should().StartWith(ResultsCsv.Header + ",");
        File.ReadAllText(dir.Sub("report.md")).Should().Contain("0.972");
        var png = File.ReadAllBytes(dir.Sub("r2.png"));
        png.Take(8).Should().Equal(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A);
        png.Length.Should().BeGreaterThan(1000);
        File.ReadAllText(dir.Sub("results.csv")).Should().NotContain("0.989", "poster numbers never go into results");
    }
}
