using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Probes;
using Microsoft.ML;

/// <summary>
/// <c>--probe-fit</c>: wall time of <c>TransformationProbe</c> (rotation, default encoder, 32 px) fitted on the first
/// <c>--images</c> CIFAR-10 test images (default 1,000), and the R² of the fitted probe on the next 500 test images
/// (<c>Evaluate</c>, 2 rotations per image), for the defaults (<c>current</c>) and other head settings; <c>previous</c> is
/// 100 epochs of batch 64 at learning rate 1e-3; <c>libtorch-threads</c> is the defaults with <c>InferenceThreads = null</c>
/// (libtorch's own thread count, the behaviour before the option existed). <c>--fit-configs current,previous,e30b256lr0.002</c> chooses (e/b/lr: epochs, batch, rate). Prints, never asserts.
/// </summary>
internal static class ProbeFitBenchmark
{
    public static int Run(IReadOnlyList<string> train, IReadOnlyList<string> test, IReadOnlyList<string> configs)
    {
        var mlContext = new MLContext(seed: 0);
        IDataView Load(IReadOnlyList<string> paths)
        {
            var data = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }));
            return mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageInput.ImagePath))
                .Append(mlContext.Transforms.ResizeImages("Image", 32, 32)).Fit(data).Transform(data);
        }
        var trainImages = Load(train);
        var testImages = Load(test);

        var current = new TransformationProbeOptions();
        var all = new Dictionary<string, TransformationProbeOptions>(StringComparer.Ordinal)
        {
            ["current"] = current,
            ["previous"] = current with { Epochs = 100, BatchSize = 64, LearningRate = 1e-3 },
            ["libtorch-threads"] = current with { InferenceThreads = null },
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TransformationProbe (rotation, {current.Part} {current.Features}, {current.SamplesPerImage} samples per image, head {current.HiddenWidth} wide) " +
            $"fitted on {train.Count} CIFAR-10 test images (32 px), scored on {test.Count} others; libtorch's own thread count {TorchSharp.torch.get_num_threads()}"));
        Console.WriteLine("config              threads  epochs  batch      lr     fit s   R² (SIE)   R² (sklearn)");
        foreach (var name in configs)
        {
            var options = all.TryGetValue(name, out var known) ? known : Parse(name, current);
            var clock = Stopwatch.StartNew();
            var probe = mlContext.Transforms.EquiRecon().TransformationProbe(options).Fit(trainImages);
            var seconds = clock.Elapsed.TotalSeconds;
            var metrics = probe.Evaluate(testImages, seed: 1, samplesPerImage: 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-18} {(options.InferenceThreads?.ToString(CultureInfo.InvariantCulture) ?? "libtorch"),8} {options.Epochs,7} {options.BatchSize,6} {options.LearningRate,7:G3} {seconds,9:F1} {metrics.RSquaredGlobal,10:F3} {metrics.RSquaredPerOutputMean,14:F3}"));
        }
        return 0;
    }

    /// <summary>An ad-hoc configuration <c>e&lt;epochs&gt;b&lt;batch&gt;lr&lt;rate&gt;</c>, e.g. <c>e30b256lr0.002</c>.</summary>
    private static TransformationProbeOptions Parse(string name, TransformationProbeOptions baseline)
    {
        var match = System.Text.RegularExpressions.Regex.Match(name, "^e([0-9]+)b([0-9]+)lr([0-9.eE-]+)$");
        if (!match.Success)
            throw new ArgumentException($"--fit-configs: '{name}' is neither current, previous nor e<epochs>b<batch>lr<rate>.");
        return baseline with
        {
            Epochs = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
            BatchSize = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
            LearningRate = double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture),
        };
    }
}
