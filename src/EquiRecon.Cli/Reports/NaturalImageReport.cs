using System.Globalization;
using System.Text;
using System.Text.Json;
using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Reports;

/// <summary>
/// One row of a natural-image table (one method, one seed).
/// </summary>
/// <param name="Method">Row name.</param>
/// <param name="Seed">Seed.</param>
/// <param name="R2">SIE's R² by <c>probe/part</c> (e.g. <c>rot/equivariant</c>); empty in the transfer table.</param>
/// <param name="R2PerOutput">scikit-learn's R², same keys.</param>
/// <param name="Top1">Linear top-1: by part (Imagenette table) or by data set (transfer table).</param>
/// <param name="CamVidMeanIoU">CamVid mIoU (transfer table; NaN otherwise).</param>
/// <param name="TrainImages">Images pretrained on (0 for rows without training).</param>
/// <param name="Steps">Pretraining steps.</param>
/// <param name="TrainSeconds">Wall time of the pretraining.</param>
/// <param name="EvalSeconds">Wall time of the evaluation.</param>
internal sealed record NaturalImageRow(
    string Method,
    int Seed,
    IReadOnlyDictionary<string, double> R2,
    IReadOnlyDictionary<string, double> R2PerOutput,
    IReadOnlyDictionary<string, double> Top1,
    double CamVidMeanIoU,
    int TrainImages,
    int Steps,
    double TrainSeconds,
    double EvalSeconds)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The key of a probe on a part.</summary>
    public static string Key(string probe, string part) => probe + "/" + part;

    /// <summary>SIE's R² of <paramref name="probe"/> on <paramref name="part"/>, NaN when absent.</summary>
    public double R2Of(string probe, string part) => R2.TryGetValue(Key(probe, part), out var v) ? v : double.NaN;

    /// <summary>scikit-learn's R² of <paramref name="probe"/> on <paramref name="part"/>, NaN when absent.</summary>
    public double R2PerOutputOf(string probe, string part) => R2PerOutput.TryGetValue(Key(probe, part), out var v) ? v : double.NaN;

    /// <summary>Top-1 for <paramref name="key"/> (a part or a data set), NaN when absent.</summary>
    public double Top1Of(string key) => Top1.TryGetValue(key, out var v) ? v : double.NaN;

    /// <summary>A row from an evaluation report (Imagenette table).</summary>
    public static NaturalImageRow From(string method, int seed, EvaluationReport e)
    {
        ArgumentNullException.ThrowIfNull(e);
        double Context(string key) => e.Context.TryGetValue(key, out var v) && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN;
        return new NaturalImageRow(method, seed,
            e.Transformations.ToDictionary(t => Key(t.Probe, t.Part), t => t.R2Global, StringComparer.Ordinal),
            e.Transformations.ToDictionary(t => Key(t.Probe, t.Part), t => t.R2PerOutput, StringComparer.Ordinal),
            e.Classification.ToDictionary(c => c.Part, c => c.LinearTop1, StringComparer.Ordinal),
            double.NaN, (int)Context("train_images"), (int)Context("steps"), Context("train_seconds"), e.Seconds);
    }

    /// <summary>Writes the row as JSON (atomically).</summary>
    public void Save(string path)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Reads a row written by <see cref="Save"/>; null when missing or unreadable.</summary>
    public static NaturalImageRow? TryLoad(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<NaturalImageRow>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Everything the natural-image report needs.</summary>
internal sealed record NaturalImageSummary
{
    /// <summary>Table name.</summary>
    public required string Table { get; init; }

    /// <summary>The budget.</summary>
    public required NaturalImageBudget Budget { get; init; }

    /// <summary>The rows.</summary>
    public required IReadOnlyList<NaturalImageRow> Rows { get; init; }

    /// <summary>The command line.</summary>
    public required string CommandLine { get; init; }

    /// <summary>Cores, OS, runtime.</summary>
    public required string Machine { get; init; }

    /// <summary>libtorch threads.</summary>
    public required int Threads { get; init; }

    /// <summary>Start of this invocation.</summary>
    public required DateTime StartedUtc { get; init; }

    /// <summary>Wall time of this invocation.</summary>
    public required double WallSeconds { get; init; }

    /// <summary>Wall time of all invocations of the run.</summary>
    public required double TotalWallSeconds { get; init; }

    /// <summary>Seeds.</summary>
    public required int Seeds { get; init; }

    /// <summary>False when stopped before every row was done.</summary>
    public bool Complete { get; init; } = true;
}

/// <summary>Writes <c>results.csv</c> and <c>report.md</c> of the natural-image tables.</summary>
internal static class NaturalImageReport
{
    /// <summary>File names.</summary>
    public const string MarkdownFile = "report.md", CsvFile = "results.csv";

    /// <summary>Probe names in report order (the seed's six transformations).</summary>
    public static IReadOnlyList<string> Probes { get; } = NaturalImageRunner.Kinds.Select(ProbeNames.Of).ToArray();

    /// <summary>Representation parts in report order.</summary>
    public static IReadOnlyList<string> Parts { get; } = NaturalImageRunner.Parts.Select(ProbeParts.Name).ToArray();

    /// <summary>Data sets of the transfer table in report order.</summary>
    public static IReadOnlyList<string> TransferSets { get; } = ["imagenette", "dtd10", "cifar10"];

    /// <summary>Writes both files.</summary>
    public static void Write(string outDir, NaturalImageSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Directory.CreateDirectory(outDir);
        WriteCsv(Path.Combine(outDir, CsvFile), summary.Rows);
        var bytes = new UTF8Encoding(false).GetBytes(Markdown(summary));
        AtomicFile.Write(Path.Combine(outDir, MarkdownFile), stream => stream.Write(bytes));
    }

    /// <summary>Writes <c>results.csv</c>: one line per row and part (Imagenette) or per row (transfer).</summary>
    public static void WriteCsv(string path, IReadOnlyList<NaturalImageRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        string N(double v) => double.IsFinite(v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "";
        var text = new StringBuilder();
        text.Append("method,seed,part,")
            .Append(string.Join(',', Probes.Select(p => p + "_r2"))).Append(",top1,")
            .Append(string.Join(',', Probes.Select(p => p + "_r2_sklearn"))).Append(',')
            .Append(string.Join(',', TransferSets.Select(s => s + "_top1"))).Append(",camvid_miou,train_images,steps,train_seconds,eval_seconds\n");
        foreach (var r in rows)
        {
            var parts = r.R2.Count == 0 ? ["all"] : Parts;
            foreach (var part in parts)
            {
                var fields = new List<string> { r.Method, r.Seed.ToString(CultureInfo.InvariantCulture), part };
                fields.AddRange(Probes.Select(p => N(r.R2Of(p, part))));
                fields.Add(N(r.Top1Of(part)));
                fields.AddRange(Probes.Select(p => N(r.R2PerOutputOf(p, part))));
                fields.AddRange(TransferSets.Select(s => N(r.Top1Of(s))));
                fields.Add(N(r.CamVidMeanIoU));
                fields.Add(r.TrainImages.ToString(CultureInfo.InvariantCulture));
                fields.Add(r.Steps.ToString(CultureInfo.InvariantCulture));
                fields.Add(N(r.TrainSeconds));
                fields.Add(N(r.EvalSeconds));
                text.Append(string.Join(',', fields)).Append('\n');
            }
        }
        var bytes = new UTF8Encoding(false).GetBytes(text.ToString());
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>A few lines for the console: the main table.</summary>
    public static IEnumerable<string> ConsoleLines(NaturalImageSummary s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return MainTable(s).Select(line => line.Replace("|", " ", StringComparison.Ordinal).TrimEnd());
    }

    /// <summary>The report.</summary>
    public static string Markdown(NaturalImageSummary s)
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
        L($"- machine: {s.Machine}; libtorch threads {s.Threads}");
        L($"- wall time: {Time(s.TotalWallSeconds)} (this invocation, started {s.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC: {Time(s.WallSeconds)}); pretraining of the rows {Time(s.Rows.Where(r => double.IsFinite(r.TrainSeconds)).Sum(r => r.TrainSeconds))}, evaluation {Time(s.Rows.Where(r => double.IsFinite(r.EvalSeconds)).Sum(r => r.EvalSeconds))}");
        L($"- seeds: {s.Seeds}");
        Raw();
        Raw("## Budget");
        Raw();
        Raw("| field | value |");
        Raw("|---|---|");
        foreach (var (field, value) in s.Budget.Describe())
            Raw($"| {field} | {value} |");
        Raw();
        if (s.Table == NaturalImageTables.Transfer)
        {
            Raw("## Transfer: linear top-1 on frozen features, CamVid mIoU");
            Raw();
            Raw("Imagenette's classes are ImageNet classes: the `imported` backbone (and every row continued from it) was trained on ImageNet, whose training set holds Imagenette's training images, so Imagenette is *in distribution* for it. DTD10 (textures), CIFAR-10 (32-px photos upsampled) and CamVid (road scenes, 11 classes, void ignored) are the transfer targets.");
            Raw();
            foreach (var line in MainTable(s))
                Raw(line);
            Raw();
        }
        else
        {
            Raw("## Transformation prediction (R², SIE's definition) and linear top-1, whole representation");
            Raw();
            Raw("Imagenette's classes are ImageNet classes: the `imported` backbone (and every row continued from it) was trained on ImageNet, whose training set holds Imagenette's training images, so this table is *in distribution* for it — see the transfer table for other data. " +
                string.Create(CultureInfo.InvariantCulture, $"Probes: frozen encoder in eval mode; an MLP 2d → {s.Budget.ProbeHidden} → {s.Budget.ProbeHidden} → k on the pair of embeddings (x, g(x)) predicts g's parameters; probe pairs come from training images held out of pretraining and are scored on test images; the same draws of g for every row of a seed. ") +
                "SIE's R² uses one mean over all outputs, so for a transformation whose parameters have different means (crop: scale and position) it credits a probe for predicting those means; scikit-learn's per-output R² below does not.");
            Raw();
            foreach (var line in MainTable(s))
                Raw(line);
            Raw();
            Raw("## The split: invariant half vs equivariant half");
            Raw();
            Raw("The same probes read only the first 256 channels (invariant) or only the last 256 (equivariant). The paper's claim is that the equivariant half carries the transformation (rotation, translation, …) better than the invariant half, while the invariant half carries the class. For `random`, `imported` and `vicreg` the halves are an arbitrary split of the channels (a control).");
            Raw();
            var header = new StringBuilder("| method | part |");
            var rule = new StringBuilder("|---|---|");
            foreach (var p in Probes)
            {
                header.Append(CultureInfo.InvariantCulture, $" {p} |");
                rule.Append("---:|");
            }
            header.Append(" top-1 |");
            rule.Append("---:|");
            Raw(header.ToString());
            Raw(rule.ToString());
            foreach (var m in Methods(s.Rows))
            {
                var rows = s.Rows.Where(r => r.Method == m).ToArray();
                foreach (var part in new[] { "invariant", "equivariant" })
                    Raw($"| {m} | {part} | " + string.Join(" | ", Probes.Select(p => Cell(rows.Select(r => r.R2Of(p, part))))) + " | " + Percent(rows.Select(r => r.Top1Of(part))) + " |");
            }
            Raw();
            Raw("Equivariant minus invariant (R², SIE's definition; positive = the equivariant half carries more):");
            Raw();
            Raw("| method | " + string.Join(" | ", Probes) + " |");
            Raw("|---|" + string.Concat(Probes.Select(_ => "---:|")));
            foreach (var m in Methods(s.Rows))
            {
                var rows = s.Rows.Where(r => r.Method == m).ToArray();
                Raw($"| {m} | " + string.Join(" | ", Probes.Select(p => Signed(Mean(rows.Select(r => r.R2Of(p, "equivariant"))) - Mean(rows.Select(r => r.R2Of(p, "invariant")))))) + " |");
            }
            Raw();
            Raw("### R² in scikit-learn's definition (per output, averaged), whole representation");
            Raw();
            Raw("| method | " + string.Join(" | ", Probes) + " |");
            Raw("|---|" + string.Concat(Probes.Select(_ => "---:|")));
            foreach (var m in Methods(s.Rows))
            {
                var rows = s.Rows.Where(r => r.Method == m).ToArray();
                Raw($"| {m} | " + string.Join(" | ", Probes.Select(p => Cell(rows.Select(r => r.R2PerOutputOf(p, "all"))))) + " |");
            }
            Raw();
        }
        Raw("## Rows");
        Raw();
        Raw("| method | seed | pretraining images | steps | pretraining | evaluation |");
        Raw("|---|---:|---:|---:|---:|---:|");
        foreach (var r in s.Rows)
            Raw(string.Create(CultureInfo.InvariantCulture, $"| {r.Method} | {r.Seed} | {r.TrainImages} | {r.Steps} | {Time(r.TrainSeconds)} | {Time(r.EvalSeconds)} |"));
        Raw();
        Raw("Per-row outputs (checkpoint, metrics.jsonl, model.equirecon, evaluation.json or transfer.json) are in `<method>-seed<k>/`; `--resume` skips finished rows.");
        return md.ToString();
    }

    private static List<string> MainTable(NaturalImageSummary s)
    {
        var lines = new List<string>();
        if (s.Table == NaturalImageTables.Transfer)
        {
            lines.Add("| method | " + string.Join(" | ", TransferSets.Select(t => t + " top-1")) + " | camvid mIoU |");
            lines.Add("|---|" + string.Concat(TransferSets.Select(_ => "---:|")) + "---:|");
            foreach (var m in Methods(s.Rows))
            {
                var rows = s.Rows.Where(r => r.Method == m).ToArray();
                lines.Add($"| {m} | " + string.Join(" | ", TransferSets.Select(t => Percent(rows.Select(r => r.Top1Of(t))))) + " | " + Cell(rows.Select(r => r.CamVidMeanIoU)) + " |");
            }
            return lines;
        }
        lines.Add("| method | " + string.Join(" | ", Probes) + " | top-1 |");
        lines.Add("|---|" + string.Concat(Probes.Select(_ => "---:|")) + "---:|");
        foreach (var m in Methods(s.Rows))
        {
            var rows = s.Rows.Where(r => r.Method == m).ToArray();
            lines.Add($"| {m} | " + string.Join(" | ", Probes.Select(p => Cell(rows.Select(r => r.R2Of(p, "all"))))) + " | " + Percent(rows.Select(r => r.Top1Of("all"))) + " |");
        }
        return lines;
    }

    private static string[] Methods(IEnumerable<NaturalImageRow> rows) => rows.Select(r => r.Method).Distinct(StringComparer.Ordinal).ToArray();

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

    private static string Percent(IEnumerable<double> values)
    {
        var mean = Mean(values);
        return double.IsFinite(mean) ? (100 * mean).ToString("F1", CultureInfo.InvariantCulture) + " %" : "—";
    }

    private static string Signed(double value) => double.IsFinite(value) ? value.ToString("+0.000;−0.000;0.000", CultureInfo.InvariantCulture) : "—";

    private static string Time(double seconds) => double.IsFinite(seconds) ? TrainingDisplay.Format(TimeSpan.FromSeconds(seconds)) : "—";
}
