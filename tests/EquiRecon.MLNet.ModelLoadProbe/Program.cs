using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.ModelLoadProbe;

/// <summary>
/// Usage: <c>EquiRecon.MLNet.ModelLoadProbe &lt;model.zip&gt; &lt;input-column&gt; &lt;output-column[,output-column...]&gt; &lt;value&gt;...</c>.
/// Builds a one-text-column data view from the values (e.g. image paths), loads the model with
/// <c>mlContext.Model.Load</c>, and prints, one line each:
/// <c>equirecon-loaded-before-load: true|false</c>, <c>equirecon-loaded-after-load: true|false</c>,
/// then for each named output column (a float vector column): <c>column: NAME</c>, <c>rows: N</c>, then each row's
/// vector as space-separated round-trip invariant-culture floats.
/// Exit code 0 on success, 1 on an exception (message on stderr), 2 on bad arguments.
/// </summary>
internal static class Program
{
    private const string EquiReconAssembly = "EquiRecon.MLNet";

    private static int Main(string[] args)
    {
        if (args.Length < 4)
        {
            Console.Error.WriteLine("usage: EquiRecon.MLNet.ModelLoadProbe <model.zip> <input-column> <output-column[,output-column...]> <value>...");
            return 2;
        }

        try
        {
            Run(args[0], args[1], args[2], args[3..]);
            return 0;
        }
#pragma warning disable CA1031 // A probe reports any failure to its caller.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Console.Error.WriteLine(ex.ToString());
            return 1;
        }
    }

    private static void Run(string modelPath, string inputColumn, string outputColumns, string[] values)
    {
        var output = Console.Out;
        output.WriteLine($"equirecon-loaded-before-load: {IsEquiReconLoaded().ToString().ToLowerInvariant()}");

        var mlContext = new MLContext(seed: 1);
        ITransformer model = mlContext.Model.Load(modelPath, out _);
        output.WriteLine($"equirecon-loaded-after-load: {IsEquiReconLoaded().ToString().ToLowerInvariant()}");

        var schema = SchemaDefinition.Create(typeof(InputRow));
        schema[0].ColumnName = inputColumn;
        var data = mlContext.Data.LoadFromEnumerable(values.Select(v => new InputRow { Value = v }), schema);
        var transformed = model.Transform(data);

        foreach (string name in outputColumns.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var column = transformed.Schema[name];
            output.WriteLine($"column: {name}");
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rows: {values.Length}"));
            using var cursor = transformed.GetRowCursor([column]);
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            VBuffer<float> buffer = default;
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                output.WriteLine(string.Join(' ', buffer.DenseValues().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            }
        }
    }

    private static bool IsEquiReconLoaded()
        => AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == EquiReconAssembly);

    private sealed class InputRow
    {
        public string Value { get; set; } = "";
    }
}
