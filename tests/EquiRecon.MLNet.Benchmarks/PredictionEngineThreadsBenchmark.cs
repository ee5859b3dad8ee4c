using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Featurizer;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// <c>--prediction-engines</c>: milliseconds per row of the featurizer (default encoder, 32-px CIFAR-10 test images, decode
/// and resize included) through <c>PredictionEngine</c>s, one engine on one thread and <c>--engines</c> engines on as many
/// threads, for each <c>InferenceThreads</c> setting (<c>--inference-threads 1,2,default</c>; <c>default</c> is null,
/// libtorch's own setting). Settings are timed round-robin in one process (load on a shared machine drifts), best of
/// <c>--repeats</c> shown, with the load average before and after. For comparison, the batched <c>Transform</c> (BatchSize
/// 64) over the rows of all engines with the same setting. Prints, never asserts.
/// </summary>
internal static class PredictionEngineThreadsBenchmark
{
    private const int Size = 32;

    /// <param name="cifarTest">The CIFAR-10 test folder (<c>&lt;class&gt;/*.jpg</c>).</param>
    /// <param name="rows">Rows each engine predicts per timed pass.</param>
    /// <param name="engines">Engines (and threads) of the concurrent case.</param>
    /// <param name="settings">The InferenceThreads values to compare (null: libtorch's setting).</param>
    /// <param name="repeats">Timed passes per case (best shown) after one warm-up pass.</param>
    public static int Run(string cifarTest, int rows, int engines, IReadOnlyList<int?> settings, int repeats)
    {
        var all = Directory.GetDirectories(cifarTest).Order(StringComparer.Ordinal)
            .SelectMany(c => Directory.EnumerateFiles(c, "*.jpg").Order(StringComparer.Ordinal).Take((rows * engines + 9) / 10))
            .ToArray();
        var paths = all.Where((_, i) => i % engines == 0).Take(rows).ToArray();
        var batchInput = new MLContext(seed: 1).Data.LoadFromEnumerable(all.Take(rows * engines).Select(p => new ImageInput { ImagePath = p }).ToArray());
        var mlContext = new MLContext(seed: 1);
        var input = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }).ToArray());
        var models = settings.Select(threads => mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageInput.ImagePath))
            .Append(mlContext.Transforms.ResizeImages("Image", Size, Size))
            .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { InferenceThreads = threads }))
            .Fit(input)).ToArray();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"default encoder (small-cifar-resnet, 32 px), {paths.Length} CIFAR-10 test images per engine per pass, decode + resize included; cores={Environment.ProcessorCount}, OMP_NUM_THREADS={Environment.GetEnvironmentVariable("OMP_NUM_THREADS") ?? "(unset)"}, best of {repeats}"));
        Console.WriteLine($"load average before: {LoadAverage()}");

        var cases = new List<(string Name, Func<double> Run)>();
        for (int s = 0; s < settings.Count; s++)
        {
            var model = models[s];
            string name = settings[s]?.ToString(CultureInfo.InvariantCulture) ?? "null (libtorch)";
            cases.Add(($"InferenceThreads={name}, 1 engine", () => MsPerRow(mlContext, model, paths, 1)));
            cases.Add(($"InferenceThreads={name}, {engines} engines on {engines} threads", () => MsPerRow(mlContext, model, paths, engines)));
            cases.Add(($"InferenceThreads={name}, Transform (BatchSize 64), {rows * engines} rows", () => TransformMsPerRow(model, batchInput)));
        }

        var best = RoundRobin.Best(cases.Select(c => c.Run).ToArray(), repeats);

        Console.WriteLine($"load average after: {LoadAverage()}");
        Console.WriteLine("case                                                    ms/row (wall time / rows of all engines)");
        for (int k = 0; k < cases.Count; k++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{cases[k].Name,-55} {best[k],8:F2}"));
        return 0;
    }

    // Wall time of every engine predicting every path once, divided by all rows predicted.
    private static double MsPerRow(MLContext mlContext, ITransformer model, string[] paths, int engines)
    {
        var pool = Enumerable.Range(0, engines).Select(_ => mlContext.Model.CreatePredictionEngine<ImageInput, Features>(model)).ToArray();
        try
        {
            using var start = new Barrier(engines + 1);
            var threads = pool.Select(engine => new Thread(() =>
            {
                start.SignalAndWait();
                foreach (string path in paths)
                    _ = engine.Predict(new ImageInput { ImagePath = path });
            })).ToArray();
            foreach (var t in threads)
                t.Start();
            start.SignalAndWait();
            var clock = Stopwatch.StartNew();
            foreach (var t in threads)
                t.Join();
            return clock.Elapsed.TotalMilliseconds / (paths.Length * engines);
        }
        finally
        {
            foreach (var engine in pool)
                engine.Dispose();
        }
    }

    private static double TransformMsPerRow(TransformerChain<EquiReconFeaturizerTransformer> model, IDataView input)
    {
        var output = model.Transform(input);
        var column = output.Schema[EquiReconColumnNames.Invariant];
        var clock = Stopwatch.StartNew();
        using var cursor = output.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        long count = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            count++;
        }

        return clock.Elapsed.TotalMilliseconds / count;
    }

    private static string LoadAverage()
        => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "(not available)";

    private sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    private sealed class Features
    {
        [VectorType(128)]
        public float[] Invariant { get; set; } = [];
    }
}
