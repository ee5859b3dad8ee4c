using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Methods;
using SkiaSharp;

namespace EquiRecon.Cli.Tests;

/// <summary>Tiny image folders (PNG, written with SkiaSharp) and a tiny model configuration for fast tests.</summary>
internal static class TinyData
{
    /// <summary>A 4-stage ResNet of widths 8, 8, 16, 16: a 2×2 token map at 16 px.</summary>
    public static ResNetEncoderConfig Encoder { get; } = new(ResNetStem.Cifar, [8, 8, 16, 16], [1, 1, 1, 1]);

    public static HeadSizes Heads { get; } = new(ExpanderWidth: 32, ProjectorWidth: 16, Decoder: new ReconstructionDecoderOptions(Width: 16, Heads: 2, Depth: 1));

    /// <summary>Writes <paramref name="perClass"/> PNG images of <paramref name="size"/> px into each of two class folders under <paramref name="root"/>.</summary>
    public static string WriteImageFolder(string root, int perClass = 16, int size = 16, int seed = 1)
    {
        var random = new Random(seed);
        string[] classes = ["circles", "squares"];
        for (var c = 0; c < classes.Length; c++)
        {
            var dir = Path.Combine(root, classes[c]);
            Directory.CreateDirectory(dir);
            for (var i = 0; i < perClass; i++)
            {
                using var bitmap = new SKBitmap(new SKImageInfo(size, size, SKColorType.Rgba8888, SKAlphaType.Premul));
                using (var canvas = new SKCanvas(bitmap))
                {
                    canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
                    using var paint = new SKPaint { Color = new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)), IsAntialias = true };
                    var x = random.Next(4, size - 4);
                    var y = random.Next(4, size - 4);
                    if (c == 0)
                        canvas.DrawCircle(x, y, size / 4f, paint);
                    else
                        canvas.DrawRect(x - size / 4f, y - size / 4f, size / 2f, size / 2f, paint);
                }
                using var image = SKImage.FromBitmap(bitmap);
                using var data = image.Encode(SKEncodedImageFormat.Png, 100);
                using var file = File.Create(Path.Combine(dir, $"{i:D3}.png"));
                data.SaveTo(file);
            }
        }
        return root;
    }

    /// <summary>A folder with <c>train/</c> and <c>test/</c> image folders.</summary>
    public static string WriteSplits(string root, int trainPerClass = 16, int testPerClass = 8)
    {
        WriteImageFolder(Path.Combine(root, "train"), trainPerClass, seed: 1);
        WriteImageFolder(Path.Combine(root, "test"), testPerClass, seed: 2);
        return root;
    }

    /// <summary>A budget small enough for a unit test (16 px, tiny encoder and heads, 2 steps).</summary>
    public static Budget Budget { get; } = new()
    {
        Name = "unit-test",
        Purpose = "unit tests",
        EncoderName = "tiny-test",
        Encoder = Encoder,
        ImageSize = 16,
        TrainImages = 32,
        Steps = 2,
        BatchSize = 8,
        LearningRate = 1e-3,
        Heads = Heads,
        ProbeTrainPairs = 10,
        ProbeTestPairs = 6,
        ProbeHidden = 8,
        ProbeEpochs = 2,
        ClassifierTrainImages = 16,
        LinearEpochs = 2,
        KnnK = 3,
        ReportEvery = 1,
    };

    /// <summary>Pretrain settings for <paramref name="method"/> with the tiny model (2 steps, batch 8, 1 thread).</summary>
    public static PretrainSettings Settings(string method, string data, string outDir, bool resume = false, int steps = 2) => new()
    {
        Method = MethodRegistry.Get(method).WithHeadSizes(Heads),
        EncoderName = "tiny-test",
        Encoder = Encoder,
        DataPath = data,
        OutDir = outDir,
        ImageSize = 16,
        Options = new() { Steps = steps, BatchSize = 8, Seed = 3, Threads = 1, ReportEvery = 1 },
        Resume = resume,
        CommandLine = "equirecon pretrain (test)",
    };
}
