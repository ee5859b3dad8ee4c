// Classify: CIFAR-10 classification with ML.NET on frozen features of EquiRecon's default encoder (no pretraining,
// no download). It compares a linear classifier (SDCA maximum entropy) on the invariant features, the equivariant
// features and both, saves the best model as an ML.NET zip, loads it back and classifies a few test images:
//
//     dotnet run --project samples/Classify -c Release
//
// Optional arguments: training images per class (default 500) and test images per class (default 200), e.g.
// `dotnet run --project samples/Classify -c Release -- 1000 200`. Data: shared/data/cifar10 (see SampleData.cs).
using System.Diagnostics;
using System.Globalization;
using EquiRecon.Samples;
using EquiRecon.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int trainPerClass = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 500;
int testPerClass = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;

var cifar = SampleData.Folder("cifar10");
var trainRows = SampleData.ListImageFolder(Path.Combine(cifar, "train"), trainPerClass);
var testRows = SampleData.ListImageFolder(Path.Combine(cifar, "test"), testPerClass);
int classes = trainRows.Select(r => r.Label).Distinct().Count();
Console.WriteLine($"CIFAR-10: {trainRows.Count} training images, {testRows.Count} test images, {classes} classes.");

var mlContext = new MLContext(seed: 0);
var train = mlContext.Data.LoadFromEnumerable(trainRows);
var test = mlContext.Data.LoadFromEnumerable(testRows);

// 1. The featurizer: label to key, image file -> 32 × 32 image -> default encoder -> "Invariant" (128) and
//    "Equivariant" (128) float vectors. It has nothing to learn (the encoder is frozen), so it is fitted once and its
//    output cached: the three classifiers below then train on the same features without running the encoder again
//    (the same as AppendCacheCheckpoint in a single pipeline).
var stopwatch = Stopwatch.StartNew();
var featurizer = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageRow.ImagePath)))
    .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    .Append(mlContext.Transforms.EquiRecon().FeaturizeImage())
    .Fit(train);
var trainFeatures = mlContext.Data.Cache(featurizer.Transform(train), "Label", "Invariant", "Equivariant");
var testFeatures = mlContext.Data.Cache(featurizer.Transform(test), "Label", "Invariant", "Equivariant");

// 2. One classifier per feature set: concatenate -> normalize -> SDCA maximum entropy; accuracy on the test images.
(string Name, string[] Columns)[] featureSets =
[
    ("invariant only", ["Invariant"]),
    ("equivariant only", ["Equivariant"]),
    ("both", ["Invariant", "Equivariant"]),
];
Console.WriteLine($"Test accuracy of a linear classifier on frozen default-encoder features (chance {1.0 / classes:P0}):");
ITransformer? bestHead = null;
double bestAccuracy = -1;
string bestName = "";
foreach (var (name, columns) in featureSets)
{
    var head = mlContext.Transforms.Concatenate("Features", columns)
        .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
        .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
        .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
        .Fit(trainFeatures);
    var metrics = mlContext.MulticlassClassification.Evaluate(head.Transform(testFeatures));
    int dimension = columns.Length * 128;
    Console.WriteLine($"  {name,-17} ({dimension,3} features): micro-accuracy {metrics.MicroAccuracy:P1}, macro-accuracy {metrics.MacroAccuracy:P1}");
    if (metrics.MicroAccuracy > bestAccuracy)
        (bestHead, bestAccuracy, bestName) = (head, metrics.MicroAccuracy, name);
}
Console.WriteLine($"Featurizing and training took {stopwatch.Elapsed.TotalSeconds:0} s.");

// 3. The whole model (image path -> predicted label) is the featurizer followed by the best classifier. Save it as an
//    ML.NET zip (the encoder's weights go inside), load it back as a user's application would, and predict.
var model = featurizer.Append(bestHead!);
string modelPath = Path.Combine(AppContext.BaseDirectory, "cifar10-classifier.zip");
mlContext.Model.Save(model, train.Schema, modelPath);
Console.WriteLine($"Saved the best model ({bestName}) to {modelPath} ({new FileInfo(modelPath).Length / 1024} KiB).");

var loaded = new MLContext(seed: 0).Model.Load(modelPath, out _);
using var engine = mlContext.Model.CreatePredictionEngine<ImageRow, Prediction>(loaded);
Console.WriteLine("Predictions of the reloaded model on a few test images:");
var rng = new Random(1);
foreach (var row in testRows.OrderBy(_ => rng.Next()).Take(6))
{
    var prediction = engine.Predict(row);
    string mark = prediction.PredictedLabel == row.Label ? "correct" : "wrong";
    string image = $"{Path.GetFileName(Path.GetDirectoryName(row.ImagePath))}/{Path.GetFileName(row.ImagePath)}";
    Console.WriteLine($"  {image,-20} true {row.Label,-10} predicted {prediction.PredictedLabel,-10} (p = {prediction.Score.Max():0.00}, {mark})");
}
int correct = testRows.Count(row => engine.Predict(row).PredictedLabel == row.Label);
Console.WriteLine($"The reloaded model, one image at a time through the PredictionEngine: {correct} of {testRows.Count} test images right ({(double)correct / testRows.Count:P1}).");

/// <summary>The reloaded model's output for one image.</summary>
internal sealed class Prediction
{
    /// <summary>The predicted class name.</summary>
    public string PredictedLabel { get; set; } = "";

    /// <summary>The probability of every class.</summary>
    public float[] Score { get; set; } = [];
}
