using System.Globalization;
using System.Text;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Reports;

/// <summary>Everything <c>report.md</c> says about one <c>equirecon reproduce</c> run.</summary>
internal sealed record ReproduceSummary
{
    /// <summary>The <c>--table</c> name.</summary>
    public required string Table { get; init; }

    /// <summary>How the table uses the data (one paragraph).</summary>
    public required string TableNote { get; init; }

    /// <summary>The budget every row trained on.</summary>
    public required Budget Budget { get; init; }

    /// <summary>The representation part the probes read.</summary>
    public required string Part { get; init; }

    /// <summary>The measured rows (all seeds, every probed part).</summary>
    public required IReadOnlyList<ResultRow> Rows { get; init; }

    /// <summary>The rows of the main part <see cref="Part"/>: one per (method, seed).</summary>
    public IReadOnlyList<ResultRow> MainRows => Rows.Where(r => r.Part == Part).ToArray();

    /// <summary>The command line.</summary>
    public required string CommandLine { get; init; }

    /// <summary>The data folder.</summary>
    public required string DataPath { get; init; }

    /// <summary>Cores, OS, runtime.</summary>
    public required string Machine { get; init; }

    /// <summary>libtorch intra-op threads.</summary>
    public required int Threads { get; init; }

    /// <summary>The device used.</summary>
    public required string Device { get; init; }

    /// <summary>When this invocation started.</summary>
    public required DateTime StartedUtc { get; init; }

    /// <summary>Wall time of this invocation.</summary>
    public required double WallSeconds { get; init; }

    /// <summary>Wall time of every invocation of this run (a resumed run adds up); defaults to <see cref="WallSeconds"/>.</summary>
    public double? TotalWallSeconds { get; init; }

    /// <summary>Seeds run.</summary>
    public required int Seeds { get; init; }

    /// <summary>False when the run was stopped before every row was done.</summary>
    public bool Complete { get; init; } = true;

    /// <summary>True when <c>reconstruction.png</c> exists.</summary>
    public bool HasReconstruction { get; init; }

    /// <summary>True when <c>r2.png</c> exists.</summary>
    public bool HasR2Plot { get; init; }
}

/// <summary>Writes <c>report.md</c> and <c>r2.png</c> of a reproduce run.</summary>
internal static class ReproduceReport
{
    /// <summary>File names in the output folder.</summary>
    public const string MarkdownFile = "report.md", CsvFile = "results.csv", R2PlotFile = "r2.png", ReconstructionFile = "reconstruction.png";

    /// <summary>Writes <c>results.csv</c>, <c>r2.png</c> (when there are rows) and <c>report.md</c> into <paramref name="outDir"/>.</summary>
    public static void Write(string outDir, ReproduceSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Directory.CreateDirectory(outDir);
        ResultsCsv.Write(Path.Combine(outDir, CsvFile), summary.Rows);
        var hasPlot = summary.Rows.Count > 0;
        if (hasPlot)
            WriteR2Plot(Path.Combine(outDir, R2PlotFile), summary);
        var text = Markdown(summary with { HasR2Plot = hasPlot });
        var bytes = new UTF8Encoding(false).GetBytes(text);
        AtomicFile.Write(Path.Combine(outDir, MarkdownFile), stream => stream.Write(bytes));
    }

    /// <summary>The grouped-bar plot of mean R² per method and transformation.</summary>
    public static void WriteR2Plot(string path, ReproduceSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var main = summary.MainRows;
        var methods = Methods(main);
        var values = new double[methods.Count, ResultRow.Probes.Count];
        for (var m = 0; m < methods.Count; m++)
            for (var p = 0; p < ResultRow.Probes.Count; p++)
                values[m, p] = Mean(main.Where(r => r.Method == methods[m]).Select(r => r.R2Of(ResultRow.Probes[p])));
        Plots.WriteGroupedBars(path,
            string.Create(CultureInfo.InvariantCulture, $"R² of transformation prediction (SIE's definition), part: {summary.Part}, budget: {summary.Budget.Name}, table: {summary.Table}"),
            methods, ResultRow.Probes, values);
    }

    /// <summary>The text of <c>report.md</c>.</summary>
    public static string Markdown(ReproduceSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var md = new StringBuilder();
        void L(FormattableString line) => md.Append(line.ToString(CultureInfo.InvariantCulture)).Append('\n');
        void Raw(string line = "") => md.Append(line).Append('\n');

        L($"# EquiRecon reproduction: table `{s.Table}`, budget `{s.Budget.Name}`");
        Raw();
        if (!s.Complete)
        {
            Raw("**Incomplete:** the run was stopped before every row was done; `--resume` continues it.");
            Raw();
        }
        L($"- command: `{s.CommandLine}`");
        L($"- data: `{s.DataPath}`");
        L($"- machine: {s.Machine}; libtorch threads {s.Threads}; device {s.Device}");
        L($"- wall time: {FormatTime(s.TotalWallSeconds ?? s.WallSeconds)} (this invocation, started {s.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC: {FormatTime(s.WallSeconds)}); training of the rows: {FormatTime(s.MainRows.Where(r => double.IsFinite(r.TrainSeconds)).Sum(r => r.TrainSeconds))}, evaluation: {FormatTime(s.MainRows.Sum(r => r.EvalSeconds))}");
        L($"- seeds: {s.Seeds}; representation part probed: **{s.Part}** ({PartNote(s.Part)})");
        L($"- R²: SIE's definition (1 − SS_res / SS_tot with one mean over all outputs), the poster's; scikit-learn's per-output R² is in results.csv (`*_sklearn`) and below");
        Raw();
        Raw(s.TableNote);
        Raw();

        L($"## Budget `{s.Budget.Name}`");
        Raw();
        Raw("| field | value |");
        Raw("|---|---|");
        foreach (var (field, value) in s.Budget.Describe())
            Raw($"| {field} | {value} |");
        Raw();

        var main = s.MainRows;
        var methods = Methods(main);
        var posterTable = PosterNumbers.For(s.Table);
        L($"## Results beside the poster");
        Raw();
        Raw("R² of transformation prediction (pairwise probe on the frozen encoder) and classification top-1 (linear probe, kNN). " +
            $"Columns marked *poster* are the published numbers of this table (arXiv 2412.03314, ResNet-18 at paper scale), for reference; " +
            (s.Seeds > 1 ? "ours are mean ± standard deviation over the seeds a row has." : "ours are one seed."));
        Raw();
        var header = new StringBuilder("| method |");
        var rule = new StringBuilder("|---|");
        foreach (var p in ResultRow.Probes)
        {
            header.Append(CultureInfo.InvariantCulture, $" {p} | {p} (poster) |");
            rule.Append("---:|---:|");
        }
        header.Append(" top-1 | kNN top-1 |");
        rule.Append("---:|---:|");
        Raw(header.ToString());
        Raw(rule.ToString());
        foreach (var m in methods)
        {
            var rows = main.Where(r => r.Method == m).ToArray();
            var line = new StringBuilder($"| {m} |");
            PosterNumbers.Row? poster = null;
            posterTable?.TryGetValue(m, out poster);
            foreach (var p in ResultRow.Probes)
            {
                line.Append(' ').Append(Cell(rows.Select(r => r.R2Of(p)))).Append(" | ");
                line.Append(poster is not null ? PosterNumbers.Of(poster, p).ToString("F3", CultureInfo.InvariantCulture) : "—").Append(" |");
            }
            line.Append(' ').Append(Cell(rows.Select(r => r.Top1))).Append(" | ").Append(Cell(rows.Select(r => r.KnnTop1))).Append(" |");
            Raw(line.ToString());
        }
        Raw();
        if (posterTable is null)
        {
            Raw("This table has no published counterpart in our notes, so the poster columns are empty.");
            Raw();
        }

        var halves = s.Rows.Where(r => r.Part != s.Part).Select(r => r.Part).Distinct(StringComparer.Ordinal).ToArray();
        if (halves.Length > 0)
        {
            Raw("### The split: R² from each half of the representation");
            Raw();
            Raw("The same probes read only the invariant channels, only the equivariant channels, or all of them (SIE's definition). " +
                "The method's claim is that transformation information lives in the equivariant half; for `vicreg`, `supervised` and `random`, " +
                "whose training does not split the channels, the two halves are a control (the first and the last half of the channels).");
            Raw();
            var parts = new[] { s.Part }.Concat(halves).ToArray();
            Raw("| method | part | " + string.Join(" | ", ResultRow.Probes) + " | top-1 |");
            Raw("|---|---|" + string.Concat(ResultRow.Probes.Select(_ => "---:|")) + "---:|");
            foreach (var m in methods)
            {
                foreach (var part in parts)
                {
                    var rows = s.Rows.Where(r => r.Method == m && r.Part == part).ToArray();
                    if (rows.Length == 0)
                        continue;
                    Raw($"| {m} | {part} | " + string.Join(" | ", ResultRow.Probes.Select(p => Cell(rows.Select(r => r.R2Of(p))))) + $" | {Cell(rows.Select(r => r.Top1))} |");
                }
            }
            Raw();
        }

        Raw("### R² in scikit-learn's definition (per output, averaged)");
        Raw();
        Raw("| method | " + string.Join(" | ", ResultRow.Probes) + " |");
        Raw("|---|" + string.Concat(ResultRow.Probes.Select(_ => "---:|")));
        foreach (var m in methods)
        {
            var rows = main.Where(r => r.Method == m).ToArray();
            Raw($"| {m} | " + string.Join(" | ", ResultRow.Probes.Select(p => Cell(rows.Select(r => r.R2PerOutputOf(p))))) + " |");
        }
        Raw();

        Raw("## Plots");
        Raw();
        if (s.HasR2Plot)
            Raw($"![R² per method and transformation]({R2PlotFile})");
        if (s.HasReconstruction)
        {
            Raw();
            Raw($"![equirecon: view A, view B and the reconstruction of view B]({ReconstructionFile})");
        }
        Raw();

        Raw("## Notes");
        Raw();
        Raw("- Every row trains the same encoder on the same budget and data; `random` is that encoder untrained (initialisation only), the reference a trained row should beat. " +
            "At CPU budgets it often is not beaten on the geometric probes: a few dozen steps of invariance training remove more of what the probes read than they add.");
        Raw("- The probes read the frozen encoder in eval mode (SIE's scripts leave BatchNorm in train mode while probing). Each transformation is drawn from the training ranges of that kind alone; the probe sees both images' representations.");
        Raw("- Probe protocol: the papers' (SIE, arXiv 2302.10283; the poster): an MLP 2d → hidden → hidden → k on the concatenated pair of embeddings, inputs and targets standardised on probe-train, Adam with a cosine schedule; pairs of test-split images that no row pretrained on, the same images and transformation draws for every row of a seed (budget table above for sizes; `smoke` shrinks them).");
        L($"- Budget `{s.Budget.Name}`: {s.Budget.Purpose}. Numbers from a CPU budget are not comparable with the poster's paper-scale GPU training; the `full` budget is the one meant to be.");
        Raw("- Per-row outputs (checkpoint, metrics.jsonl, model.equirecon, evaluation.json) are in `<method>-seed<k>/`; `reproduce --resume` skips finished rows and resumes an interrupted one.");
        return md.ToString();
    }

    /// <summary>Methods in first-seen order.</summary>
    public static IReadOnlyList<string> Methods(IEnumerable<ResultRow> rows) => rows.Select(r => r.Method).Distinct(StringComparer.Ordinal).ToArray();

    private static string PartNote(string part) => part switch
    {
        "all" => "the whole pooled representation, invariant and equivariant channels",
        "invariant" => "the invariant channels only",
        "equivariant" => "the equivariant channels only",
        _ => part,
    };

    private static double Mean(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? double.NaN : finite.Average();
    }

    private static string Cell(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
            return "—";
        var mean = finite.Average();
        if (finite.Length == 1)
            return mean.ToString("F3", CultureInfo.InvariantCulture);
        var std = Math.Sqrt(finite.Sum(v => (v - mean) * (v - mean)) / (finite.Length - 1));
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F3} ± {std:F3}");
    }

    private static string FormatTime(double seconds) => Running.TrainingDisplay.Format(TimeSpan.FromSeconds(seconds));
}
