// Images per second through the ML.NET featurizer against a raw batched TorchSharp forward (PretrainedEncoder.Encode)
// of the same encoder on the same CIFAR-10 test images. Prints, never asserts.
//   dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release -- [--images 1000] [--batch 64] [--encoder small-cifar-resnet]
//       [--threads N] [--data <folder with cifar10/test>] [--per-row 200] [--repeats 3]
// The natural-image encoder (EquiRecon.Models.NaturalImage) at 128 px on Imagenette test photos, Transform and PredictionEngine
// (NaturalImageBenchmark.cs; defaults --images 256 --per-row 64 --repeats 2):
//   dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release -- --built-in natural-image [--images N] [--batch 64]
//       [--threads N] [--data <folder with imagenette-160/>] [--per-row N] [--repeats N]
// TransformationProbe fit time with its defaults on --images CIFAR-10 test images (ProbeFitBenchmark.cs):
//   dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release -- --probe-fit [--images 1000] [--threads N] [--fit-configs current,previous]
// Runtime = TorchSharp against Runtime = OnnxRuntime (RuntimeComparisonBenchmark.cs: default encoder at 32 px, ResNet-18 at 224 px,
// Transform and PredictionEngine over in-memory pixel vectors; defaults --images 1000 --per-row 300 --images-224 128 --per-row-224 32 --repeats 2):
//   dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release -- --runtime-comparison [--batch 64] [--threads N]
// PredictionEngines and InferenceThreads (PredictionEngineThreadsBenchmark.cs: the default encoder at 32 px, ms per row for one
// engine and for --engines engines on as many threads, per InferenceThreads setting; defaults --per-row 200 --engines 8
// --inference-threads 1,2,default --repeats 2):
//   dotnet run --project tests/EquiRecon.MLNet.Benchmarks -c Release -- --prediction-engines [--data <folder with cifar10/test>]
using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

string Get(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

int imageCount = GetInt("--images", 1000);
int batch = GetInt("--batch", 64);
int perRow = GetInt("--per-row", 200);
int repeats = GetInt("--repeats", 3);
string encoderName = Get("--encoder", "small-cifar-resnet");
string threads = Get("--threads", "");
if (args.Contains("--runtime-comparison"))
{
    TorchNative.EnsureLoaded();
    if (threads.Length > 0)
        torch.set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
    return RuntimeComparisonBenchmark.Run(batch, GetInt("--repeats", 2), GetInt("--images", 1000), GetInt("--per-row", 300),
        GetInt("--images-224", 128), GetInt("--per-row-224", 32));
}
if (Get("--built-in", "") is { Length: > 0 } builtIn)
{
    if (builtIn != "natural-image")
    {
        Console.Error.WriteLine($"--built-in: unknown '{builtIn}'; the mode measured here is 'natural-image'.");
        return 2;
    }

    TorchNative.EnsureLoaded();
    if (threads.Length > 0)
        torch.set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));
    return NaturalImageBenchmark.Run(Get("--data", ""), GetInt("--images", 256), batch, GetInt("--per-row", 64), GetInt("--repeats", 2));
}

string? cifarTest = FindCifarTest(Get("--data", ""));
if (cifarTest is null)
{
    Console.Error.WriteLine("CIFAR-10 test images (cifar10/test/<class>/*.jpg) not found: pass --data <folder holding cifar10/>.");
    return 2;
}

if (args.Contains("--prediction-engines"))
{
    TorchNative.EnsureLoaded();
    var settings = Get("--inference-threads", "1,2,default").Split(',')
        .Select(v => v == "default" ? (int?)null : int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    return PredictionEngineThreadsBenchmark.Run(cifarTest, GetInt("--per-row", 200), GetInt("--engines", 8), settings, GetInt("--repeats", 2));
}

TorchNative.EnsureLoaded();
if (threads.Length > 0)
    torch.set_num_threads(int.Parse(threads, CultureInfo.InvariantCulture));

var classes = Directory.GetDirectories(cifarTest).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
int perClass = (imageCount + classes.Length - 1) / classes.Length;
var paths = classes
    .SelectMany(c => Directory.EnumerateFiles(Path.Combine(cifarTest, c!), "*.jpg").Order(StringComparer.Ordinal).Take(perClass))
    .Take(imageCount)
    .ToArray();

if (args.Contains("--probe-fit"))
{
    var heldOut = classes.SelectMany(c => Directory.EnumerateFiles(Path.Combine(cifarTest, c!), "*.jpg").Order(StringComparer.Ordinal).Skip(perClass).Take(50)).ToArray();
    return ProbeFitBenchmark.Run(paths, heldOut, Get("--fit-configs", "current,previous").Split(','));
}

// A randomly initialised encoder: throughput does not depend on the weights.
string modelFile = Path.Combine(Path.GetTempPath(), "equirecon-mlnet-benchmark-" + Guid.NewGuid().ToString("N") + ".zip");
torch.manual_seed(0);
using (var encoder = EncoderFactory.Create(EncoderNames.Get(encoderName)))
    ModelFile.Save(modelFile, encoder, "random", 32, ImageTensors.Cifar10Mean, ImageTensors.Cifar10Std);

try
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"encoder={encoderName} images={paths.Length} (CIFAR-10 test, 32 px) batch={batch} torch-threads={torch.get_num_threads()} cores={Environment.ProcessorCount} device=cpu repeats={repeats} (best shown)"));
    var cases = new List<(string Name, int Count, Action Run)>();

    // 1. Raw batched TorchSharp forward over images decoded beforehand (decoding not timed).
    using var pretrained = ModelFile.Load(modelFile);
    using var dataset = ReadImages(paths);
    cases.Add(("raw TorchSharp forward, PretrainedEncoder.Encode (decoded)", paths.Length, () =>
    {
        for (int start = 0; start < dataset.Count; start += batch)
        {
            using var scope = torch.NewDisposeScope();
            var images = dataset.Images.narrow(0, start, Math.Min(batch, dataset.Count - start));
            _ = pretrained.Encode(images).Pooled.cpu().data<float>().ToArray();
        }
    }));

    var mlContext = new MLContext(seed: 1);
    var data = mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }).ToArray());
    var decode = mlContext.Transforms.LoadImages("Image", imageFolder: null, inputColumnName: nameof(ImageInput.ImagePath))
        .Append(mlContext.Transforms.ResizeImages("Image", 32, 32));
    var options = new EquiReconFeaturizerOptions { ModelFile = modelFile, BatchSize = batch };

    // 2. ML.NET decoding alone (LoadImages + ResizeImages), the floor of any ML.NET image pipeline.
    var decoded = decode.Fit(data).Transform(data);
    cases.Add(("ML.NET LoadImages + ResizeImages only", paths.Length, () => Drain(decoded, "Image")));

    // 3. The featurizer end to end: decode + resize + batched forward (Transform).
    var model = decode.Append(mlContext.Transforms.EquiRecon().FeaturizeImage(options)).Fit(data);
    var featurized = model.Transform(data);
    cases.Add(("ML.NET LoadImages + ResizeImages + featurizer (Transform)", paths.Length,
        () => Drain(featurized, EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant)));

    // 4. The featurizer alone, over pixel vectors cached in memory (ExtractPixels → cache): no decoding.
    var pixels = mlContext.Data.Cache(decode.Append(mlContext.Transforms.ExtractPixels("RawPixels", "Image")).Fit(data).Transform(data), "RawPixels");
    Drain(pixels, "RawPixels");
    var fromPixels = mlContext.Transforms.EquiRecon().FeaturizeImage(options with { InputColumnName = "RawPixels" }).Fit(pixels);
    var featurizedPixels = fromPixels.Transform(pixels);
    cases.Add(("ML.NET featurizer over cached ExtractPixels vectors", paths.Length,
        () => Drain(featurizedPixels, EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant)));

    // 5. The per-row path: one PredictionEngine, one forward pass per image (decode included).
    using var engine = mlContext.Model.CreatePredictionEngine<ImageInput, Features>(model);
    var rowPaths = paths.Take(perRow).ToArray();
    cases.Add(("ML.NET PredictionEngine, one row per forward (decode incl.)", rowPaths.Length, () =>
    {
        foreach (string path in rowPaths)
            _ = engine.Predict(new ImageInput { ImagePath = path });
    }));

    // 6. Raw per-image forward, for comparison with 5.
    cases.Add(("raw TorchSharp forward, batch of 1 (decoded)", rowPaths.Length, () =>
    {
        for (int i = 0; i < rowPaths.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            _ = pretrained.Encode(dataset.Images.narrow(0, i, 1)).Pooled.cpu().data<float>().ToArray();
        }
    }));

    var best = RoundRobin.BestTimes(cases.Select(c => c.Run).ToArray(), repeats);

    Console.WriteLine("path                                                        images/s    ms/image");
    for (int k = 0; k < cases.Count; k++)
        Report(cases[k].Name, cases[k].Count, best[k]);
}
finally
{
    File.Delete(modelFile);
}

return 0;

static void Report(string name, int count, TimeSpan elapsed)
    => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-58} {count / elapsed.TotalSeconds,10:F1} {1000 * elapsed.TotalSeconds / count,11:F3}"));

static void Drain(IDataView view, params string[] columns)
{
    var cols = columns.Select(c => view.Schema[c]).ToArray();
    using var cursor = view.GetRowCursor(cols);
    var getters = cols.Select(c => c.Type is VectorDataViewType ? (Action)MakeVector(cursor, c) : MakeImage(cursor, c)).ToArray();
    while (cursor.MoveNext())
    {
        foreach (var get in getters)
            get();
    }
}

static Action MakeVector(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    var getter = cursor.GetGetter<VBuffer<float>>(column);
    VBuffer<float> value = default;
    return () => getter(ref value);
}

static Action MakeImage(DataViewRowCursor cursor, DataViewSchema.Column column)
{
    var getter = cursor.GetGetter<MLImage>(column);
    MLImage? value = null;
    return () => getter(ref value!);
}

static ImageDataset ReadImages(IReadOnlyList<string> files)
{
    // Same files as the ML.NET pipeline, decoded by ML.NET's MLImage (SkiaSharp) into one uint8 tensor (N, 3, 32, 32).
    var pixels = new byte[files.Count * 3 * 32 * 32];
    for (int n = 0; n < files.Count; n++)
    {
        using var image = MLImage.CreateFromFile(files[n]);
        var source = image.Pixels;
        (int r, int g, int b) = image.PixelFormat == MLPixelFormat.Bgra32 ? (2, 1, 0) : (0, 1, 2);
        for (int i = 0; i < 32 * 32; i++)
        {
            pixels[(n * 3 * 1024) + i] = source[(4 * i) + r];
            pixels[(n * 3 * 1024) + 1024 + i] = source[(4 * i) + g];
            pixels[(n * 3 * 1024) + 2048 + i] = source[(4 * i) + b];
        }
    }

    var images = torch.tensor(pixels, [files.Count, 3, 32, 32], torch.ScalarType.Byte);
    return new ImageDataset(images, torch.zeros(files.Count, torch.ScalarType.Int64), ["image"]);
}

static string? FindCifarTest(string given)
{
    if (given.Length > 0)
        return Directory.Exists(Path.Combine(given, "cifar10", "test")) ? Path.Combine(given, "cifar10", "test") : null;
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "data", "cifar10", "test");
        if (Directory.Exists(candidate))
            return candidate;
    }

    return null;
}

internal sealed class ImageInput
{
    public string ImagePath { get; set; } = "";
}

internal sealed class Features
{
    [VectorType]
    public float[] Invariant { get; set; } = [];

    [VectorType]
    public float[] Equivariant { get; set; } = [];
}
