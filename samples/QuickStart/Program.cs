// QuickStart: featurize images with EquiRecon's default encoder, train an ML.NET classifier on the features,
// and estimate how far images are rotated with a self-supervised rotation probe. No download, no pretraining:
//
//     dotnet run --project samples/QuickStart -c Release
//
// The images are 200 CIFAR-10 test images (50 each of airplane, automobile, frog and ship) shipped with the sample.
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.Samples;
using Microsoft.ML;

var imagesFolder = Path.Combine(AppContext.BaseDirectory, "images");
var mlContext = new MLContext(seed: 0);

var rows = SampleData.ListImageFolder(imagesFolder);
var split = mlContext.Data.TrainTestSplit(mlContext.Data.LoadFromEnumerable(rows), testFraction: 0.3, seed: 0);
Console.WriteLine($"{rows.Count} images of {rows.Select(r => r.Label).Distinct().Count()} classes, 70 % to train, 30 % to test.");

// 1. Classifier: images -> default encoder (invariant + equivariant features) -> SDCA.
var loadImages = mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageRow.ImagePath))
    .Append(mlContext.Transforms.ResizeImages("Image", 32, 32));
var classifier = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(loadImages)
    .Append(mlContext.Transforms.EquiRecon().FeaturizeImage())
    .Append(mlContext.Transforms.Concatenate("Features", "Invariant", "Equivariant"))
    .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
    .AppendCacheCheckpoint(mlContext)
    .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
    .Fit(split.TrainSet);
var metrics = mlContext.MulticlassClassification.Evaluate(classifier.Transform(split.TestSet));
Console.WriteLine($"Classifier accuracy on the held-out images: {metrics.MicroAccuracy:P1} (chance 25 %).");

// 2. Rotation probe: trained self-supervised on the (unlabelled) training images, which it rotates at random by up to
//    ±45°; it then tells how far any image is rotated from upright (degrees, counter-clockwise).
var probe = loadImages
    .Append(mlContext.Transforms.EquiRecon().TransformationProbe())
    .Fit(split.TrainSet);

var rotatedFolder = Path.Combine(AppContext.BaseDirectory, "rotated");
Directory.CreateDirectory(rotatedFolder);
float[] angles = [-40, -20, 0, 20, 40];
var heldOut = mlContext.Data.CreateEnumerable<ImageRow>(split.TestSet, reuseRowObject: false).Take(8).ToList();
var rotated = new List<RotatedRow>();
foreach (var row in heldOut)
{
    foreach (var angle in angles)
    {
        var path = Path.Combine(rotatedFolder, $"{row.Label}-{Path.GetFileNameWithoutExtension(row.ImagePath)}-{angle:+0;-0;0}.png");
        RotatedImages.Write(row.ImagePath, path, angle);
        rotated.Add(new RotatedRow { ImagePath = path, Label = row.Label, Angle = angle });
    }
}
var estimates = mlContext.Data.CreateEnumerable<RotationEstimate>(probe.Transform(mlContext.Data.LoadFromEnumerable(rotated)), reuseRowObject: false).ToList();

Console.WriteLine("Rotation probe on held-out images, rotated here by a known angle:");
Console.WriteLine($"  {"image",-22} {"rotated by",10} {"estimated",10}");
foreach (var e in estimates.Take(angles.Length * 2))
    Console.WriteLine($"  {Path.GetFileName(e.ImagePath),-22} {e.Angle,9:+0;-0;0}° {e.RotationParameters[0],9:+0.0;-0.0;0.0}°");
var meanError = estimates.Average(e => Math.Abs(e.RotationParameters[0] - e.Angle));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Rotation estimate: mean absolute error {meanError:0.0}° over {estimates.Count} rotated held-out images (angles {string.Join(", ", angles)}°; guessing 0° would give {angles.Average(Math.Abs):0.0}°)."));
