using System.Globalization;
using System.Text;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Reports;

/// <summary>
/// <c>results.csv</c>: one line per (method, seed, representation part probed; column <c>part</c>). The first seven columns are fixed
/// (<see cref="Header"/>); the R² columns are SIE's definition, the <c>*_sklearn</c> ones scikit-learn's.
/// </summary>
internal static class ResultsCsv
{
    /// <summary>The fixed leading columns.</summary>
    public const string Header = "method,seed,rot_r2,color_r2,blur_r2,trans_r2,top1";

    /// <summary>Columns after <see cref="Header"/>.</summary>
    public const string ExtraColumns = "knn_top1,rot_r2_sklearn,color_r2_sklearn,blur_r2_sklearn,trans_r2_sklearn,r2_definition,part,train_images,steps,train_seconds,eval_seconds";

    /// <summary>What <c>r2_definition</c> says.</summary>
    public const string R2Definition = "sie-global";

    /// <summary>The file's text.</summary>
    public static string Format(IEnumerable<ResultRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var text = new StringBuilder();
        text.Append(Header).Append(',').Append(ExtraColumns).Append('\n');
        foreach (var r in rows)
        {
            var fields = new List<string> { r.Method, r.Seed.ToString(CultureInfo.InvariantCulture) };
            fields.AddRange(ResultRow.Probes.Select(p => Number(r.R2Of(p))));
            fields.Add(Number(r.Top1));
            fields.Add(Number(r.KnnTop1));
            fields.AddRange(ResultRow.Probes.Select(p => Number(r.R2PerOutputOf(p))));
            fields.Add(R2Definition);
            fields.Add(r.Part);
            fields.Add(r.TrainImages.ToString(CultureInfo.InvariantCulture));
            fields.Add(r.Steps.ToString(CultureInfo.InvariantCulture));
            fields.Add(r.TrainSeconds.ToString("F1", CultureInfo.InvariantCulture));
            fields.Add(r.EvalSeconds.ToString("F1", CultureInfo.InvariantCulture));
            text.Append(string.Join(',', fields)).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Writes the file atomically.</summary>
    public static void Write(string path, IEnumerable<ResultRow> rows)
    {
        var bytes = new UTF8Encoding(false).GetBytes(Format(rows));
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    private static string Number(double v) => double.IsFinite(v) ? v.ToString("F4", CultureInfo.InvariantCulture) : "";
}
