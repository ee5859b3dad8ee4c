using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

/// <summary>
/// <c>--runtime-comparison</c>: images/s of the featurizer with <c>Runtime = TorchSharp</c> against <c>Runtime = OnnxRuntime</c>,
/// over pixel vectors in memory (no decoding timed), in <c>Transform</c> (batches) and in a <c>PredictionEngine</c>
/// (one row per pass), for the default encoder (small-cifar-resnet, 32 px) and a ResNet-18 (imagenet-resnet18, random
/// weights, 224 px). Cases run round-robin, best of <c>repeats</c> kept. Prints, never asserts.
/// </summary>
internal static class RuntimeComparisonBenchmark
{
    private sealed class PixelRow
    {
        public float[] Pixels { get; set; } = [];
    }

    private sealed class Output
    {
        public float[] Invariant { get; set; } = [];
    }

    public static int Run(int batch, int repeats, int images32, int rows32, int images224, int rows224)
    {
        var folder = Path.Combine(Path.GetTempPath(), "equirecon-runtime-benchmark-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var small = Path.Combine(folder, "default.equirecon");
            File.WriteAllBytes(small, DefaultEncoder.ReadBytes());
            var big = Path.Combine(folder, "imagenet-resnet18.equirecon");
            torch.manual_seed(0);
            using (var encoder = EncoderFactory.Create(ResNetEncoderConfig.ImageNetResNet18))
                ModelFile.Save(big, encoder, "random", 224, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"batch={batch} repeats={repeats} (best shown) cores={Environment.ProcessorCount} torch-threads={torch.get_num_threads()} ONNX Runtime: default session options (intra-op threads = cores)"));
            Console.WriteLine("case                                                              images/s    ms/image");
            Measure("small-cifar-resnet (default encoder) 32 px", small, 32, images32, rows32, batch, repeats);
            Measure("imagenet-resnet18 224 px", big, 224, images224, rows224, batch, repeats);
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void Measure(string label, string modelFile, int size, int images, int rows, int batch, int repeats)
    {
        var random = new Random(0);
        var data = Enumerable.Range(0, images)
            .Select(_ => new PixelRow { Pixels = Enumerable.Range(0, 3 * size * size).Select(_ => (float)random.Next(256)).ToArray() })
            .ToArray();
        var mlContext = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(PixelRow));
        schema[nameof(PixelRow.Pixels)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3 * size * size);
        var view = mlContext.Data.LoadFromEnumerable(data, schema);
        var cases = new List<(string Name, int Count, Action Run)>();
        foreach (var runtime in new[] { InferenceRuntime.TorchSharp, InferenceRuntime.OnnxRuntime })
        {
            var options = new EquiReconFeaturizerOptions { ModelFile = modelFile, InputColumnName = nameof(PixelRow.Pixels), BatchSize = batch, Runtime = runtime };
            var model = mlContext.Transforms.EquiRecon().FeaturizeImage(options).Fit(view);
            var transformed = model.Transform(view);
            cases.Add(($"{label}, {runtime}, Transform (batch {batch})", images, () => Drain(transformed)));
            var engine = mlContext.Model.CreatePredictionEngine<PixelRow, Output>(model, inputSchemaDefinition: schema);
            var few = data.Take(rows).ToArray();
            cases.Add(($"{label}, {runtime}, PredictionEngine (batch 1)", few.Length, () =>
            {
                foreach (var row in few)
                    _ = engine.Predict(row);
            }));
        }

        var best = RoundRobin.BestTimes(cases.Select(c => c.Run).ToArray(), repeats);

        for (int k = 0; k < cases.Count; k++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cases[k].Name,-65} {cases[k].Count / best[k].TotalSeconds,8:F1}  {best[k].TotalMilliseconds / cases[k].Count,9:F2}"));
        }
    }

    private static void Drain(IDataView view)
    {
        var column = view.Schema[EquiReconColumnNames.Invariant];
        using var cursor = view.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
            getter(ref buffer);
    }
}
