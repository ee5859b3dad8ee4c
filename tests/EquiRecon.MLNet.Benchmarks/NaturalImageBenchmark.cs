using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;

/// <summary>
/// <c>--built-in natural-image</c>: images/s of the featurizer with the natural-image encoder (EquiRecon.Models.NaturalImage,
/// 128 px) on Imagenette test photos, in <c>Transform</c> (BatchSize rows per forward) and in a <c>PredictionEngine</c>
/// (one row per forward); decoding and resizing included. Prints, never asserts.
/// </summary>
internal static class NaturalImageBenchmark
{
    private const int Size = 128;

    /// <param name="data">A folder holding <c>imagenette-160/</c>, or empty to look for <c>shared/data</c> above the program.</param>
    /// <param name="imageCount">Photos for the Transform case.</param>
    /// <param name="batch">The featurizer's BatchSize in Transform.</param>
    /// <param name="perRow">Photos for the PredictionEngine case.</param>
    /// <param name="repeats">Timed passes per case (best shown) after one warm-up pass.</param>
    public static int Run(string data, int imageCount, int batch, int perRow, int repeats)
    {
        string? test = FindImagenetteTest(data);
        if (test is null)
        {
            Console.Error.WriteLine("Imagenette test photos (imagenette-160/test/<wnid>/*.jpg) not found: pass --data <folder holding imagenette-160/>.");
            return 2;
        }

        var classes = Directory.GetDirectories(test).Order(StringComparer.Ordinal).ToArray();
        int perClass = (imageCount + classes.Length - 1) / classes.Length;
        var paths = classes.SelectMany(c => Directory.EnumerateFiles(c, "*.jpg").Order(StringComparer.Ordinal).Take(perClass)).Take(imageCount).ToArray();

        var mlContext = new MLContext(seed: 1);
        var input = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }).ToArray());
        var model = mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageInput.ImagePath))
            .Append(mlContext.Transforms.ResizeImages("Image", Size, Size))
            .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { BuiltInEncoder = BuiltInEncoder.NaturalImage, BatchSize = batch }))
            .Fit(input);
        var manifest = BuiltInEncoders.ReadManifest(BuiltInEncoder.NaturalImage);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"encoder=BuiltInEncoder.NaturalImage ({manifest.Provenance.GetValueOrDefault("encoder", "?")}, {manifest.InputSize} px, {manifest.Encoder.InvariantChannels}+{manifest.Encoder.EquivariantChannels}) " +
            $"photos={paths.Length} (Imagenette test, 160 px JPEG, resized to {Size}) batch={batch} torch-threads={TorchSharp.torch.get_num_threads()} cores={Environment.ProcessorCount} device=cpu repeats={repeats} (best shown)"));

        var featurized = model.Transform(input);
        using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, Features>(model);
        var rowPaths = paths.Take(perRow).ToArray();
        var cases = new (string Name, int Count, Action Run)[]
        {
            ($"ML.NET Transform, BatchSize {batch} (decode + resize incl.)", paths.Length, () =>
            {
                foreach (var row in mlContext.Data.CreateEnumerable<Features>(featurized, reuseRowObject: true))
                    _ = row.Invariant.Length;
            }),
            ("ML.NET PredictionEngine, batch 1 (decode + resize incl.)", rowPaths.Length, () =>
            {
                foreach (string path in rowPaths)
                    _ = engine.Predict(new ImageInput { ImagePath = path });
            }),
        };

        var best = RoundRobin.BestTimes(cases.Select(c => c.Run).ToArray(), repeats);

        Console.WriteLine("path                                                        images/s    ms/image");
        for (int k = 0; k < cases.Length; k++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{cases[k].Name,-58} {cases[k].Count / best[k].TotalSeconds,10:F1} {1000 * best[k].TotalSeconds / cases[k].Count,11:F3}"));
        }

        return 0;
    }

    private static string? FindImagenetteTest(string given)
    {
        if (given.Length > 0)
            return Directory.Exists(Path.Combine(given, "imagenette-160", "test")) ? Path.Combine(given, "imagenette-160", "test") : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", "imagenette-160", "test");
            if (Directory.Exists(candidate))
                return candidate;
        }

        return null;
    }
}
