// Pretrain: self-supervised pretraining of an EquiRecon encoder through ML.NET. `Pretrain` (method "equirecon",
// encoder "small-cifar-resnet") trains on unlabelled CIFAR-10 images for a short budget; its Fit returns a featurizer
// over the new encoder. A linear classifier (SDCA maximum entropy) is then trained on its features and, for
// comparison, on the features of the default encoder shipped in the package; the pretrained model is saved as a zip:
//
//     dotnet run --project samples/Pretrain -c Release
//
// Be aware that a few minutes of pretraining on 2,000 images is far from the default encoder's budget (1,200 steps of
// 256 images over all 50,000 CIFAR-10 training images, about an hour on 2 CPU cores; docs/default-encoder.md): the
// freshly pretrained encoder is expected to classify worse. The sample shows the workflow, not a competitive encoder.
// Optional arguments: steps (default 200) and batch size (default 64), e.g.
// `dotnet run --project samples/Pretrain -c Release -- 1000 128`. Data: shared/data/cifar10 (see SampleData.cs).
using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Pretraining;
using EquiRecon.Samples;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Methods;
using Microsoft.ML;
using Microsoft.ML.Runtime;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int steps = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
int batchSize = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
const int TrainPerClass = 200, TestPerClass = 100;

var cifar = SampleData.Folder("cifar10");
var trainRows = SampleData.ListImageFolder(Path.Combine(cifar, "train"), TrainPerClass);
var testRows = SampleData.ListImageFolder(Path.Combine(cifar, "test"), TestPerClass);
int classes = trainRows.Select(r => r.Label).Distinct().Count();
Console.WriteLine($"CIFAR-10: {trainRows.Count} training images (pretraining ignores their labels), {testRows.Count} test images.");

var mlContext = new MLContext(seed: 0);
// Show the pretraining's progress reports (loss, learning rate, throughput), which it writes to mlContext.Log.
mlContext.Log += (_, e) =>
{
    if (e.Kind == ChannelMessageKind.Info && e.Source.StartsWith("EquiReconPretraining", StringComparison.Ordinal))
        Console.WriteLine($"  [pretraining] {e.RawMessage}");
};

var train = mlContext.Data.LoadFromEnumerable(trainRows);
var test = mlContext.Data.LoadFromEnumerable(testRows);
var images = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageRow.ImagePath)))
    .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    .Fit(train);

// 1. Pretrain. The method's heads (VICReg expander, SIE projector, reconstruction decoder) are made small (expander 512,
//    decoder width 64 with 2 attention heads) instead of the default, sized to the encoder as `equirecon pretrain` does
//    (expander 1024, decoder width 128 for small-cifar-resnet): on a CPU that makes a step faster. They are discarded after training; only the encoder goes into the featurizer.
var options = new EquiReconPretrainingOptions
{
    InputColumnName = "Image",
    Method = "equirecon",
    Encoder = "small-cifar-resnet",
    Steps = steps,
    BatchSize = batchSize,
    HeadSizes = new HeadSizes(ExpanderWidth: 512, ProjectorWidth: 256, new ReconstructionDecoderOptions(Width: 64, Heads: 2)),
    ReportEvery = Math.Max(1, steps / 6),
    Seed = 0,
};
var stopwatch = Stopwatch.StartNew();
var pretrained = mlContext.Transforms.EquiRecon().Pretrain(options).Fit(images.Transform(train));
Console.WriteLine($"Pretrained {steps} steps of {batchSize} images ({steps * batchSize / (double)trainRows.Count:0.#} epochs) in {stopwatch.Elapsed.TotalSeconds:0} s.");

// 2. The same linear classifier on each encoder's frozen features (invariant + equivariant, 256 values).
var head = mlContext.Transforms.Concatenate("Features", "Invariant", "Equivariant")
    .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
    .AppendCacheCheckpoint(mlContext)
    .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
    .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

var pretrainedModel = images.Append(pretrained).Append(head.Fit(pretrained.Transform(images.Transform(train))));
var pretrainedMetrics = mlContext.MulticlassClassification.Evaluate(pretrainedModel.Transform(test));

var defaultFeaturizer = mlContext.Transforms.EquiRecon().FeaturizeImage().Fit(images.Transform(train));
var defaultModel = images.Append(defaultFeaturizer).Append(head.Fit(defaultFeaturizer.Transform(images.Transform(train))));
var defaultMetrics = mlContext.MulticlassClassification.Evaluate(defaultModel.Transform(test));

Console.WriteLine($"Test accuracy of a linear classifier on frozen features ({trainRows.Count} labelled training images; chance {1.0 / classes:P0}):");
Console.WriteLine($"  encoder pretrained here ({steps} steps):  micro-accuracy {pretrainedMetrics.MicroAccuracy:P1}");
Console.WriteLine($"  default encoder shipped in the package: micro-accuracy {defaultMetrics.MicroAccuracy:P1}");
Console.WriteLine("  (Only minutes of CPU pretraining on 2,000 images here; the default encoder had 1,200 steps of 256 on 50,000.)");

// 3. Save the model over the new encoder (image path -> predicted label); the encoder's weights go inside the zip.
string modelPath = Path.Combine(AppContext.BaseDirectory, "pretrained-classifier.zip");
mlContext.Model.Save(pretrainedModel, train.Schema, modelPath);
Console.WriteLine($"Saved the classifier over the pretrained encoder to {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB).");
