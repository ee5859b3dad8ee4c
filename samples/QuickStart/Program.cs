// QuickStart: classify real photos with EquiRecon's natural-image encoder (package EquiRecon.Models.NaturalImage), and
// estimate how far photos are rotated with a self-supervised rotation probe on the same frozen encoder. No pretraining:
//
//     dotnet run --project samples/QuickStart -c Release
//
// The photos are Imagenette's (10 ImageNet classes, 160 × 160 JPEG), read from shared/data/imagenette-160 next to the
// repository or from $EQUIRECON_DATA/imagenette-160 (see Shared/SampleData.cs): the official train split to fit, the
// official test split (ImageNet validation photos) to evaluate. They are ImageNet classes, so they are in distribution for
// this encoder, whose backbone is an ImageNet ResNet-18: expect high accuracy here, less on photos unlike ImageNet's.
using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.Samples;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
const int TrainPerClass = 10, TestPerClass = 10, Size = 128;
var stopwatch = Stopwatch.StartNew();

var imagenette = SampleData.Folder("imagenette-160");
var names = File.ReadLines(Path.Combine(imagenette, "classes.txt"))
    .Select(line => line.Split(' ', 2))
    .ToDictionary(parts => parts[0], parts => parts[1]);
var trainRows = SampleData.ListImageFolder(Path.Combine(imagenette, "train"), TrainPerClass);
var testRows = SampleData.ListImageFolder(Path.Combine(imagenette, "test"), TestPerClass);
int classes = trainRows.Select(r => r.Label).Distinct().Count();
var mlContext = new MLContext(seed: 0);
var train = mlContext.Data.LoadFromEnumerable(trainRows);
var test = mlContext.Data.LoadFromEnumerable(testRows);
Console.WriteLine($"Imagenette photos of {classes} classes ({string.Join(", ", names.Values)}): {trainRows.Count} to train, {testRows.Count} held out.");
Console.WriteLine("These are ImageNet classes, in distribution for the natural-image encoder (an ImageNet ResNet-18 backbone).");

// 1. Classifier: photos -> natural-image encoder at 128 px (invariant 256 + equivariant 256 features) -> SDCA.
var loadImages = mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageRow.ImagePath))
    .Append(mlContext.Transforms.ResizeImages("Image", Size, Size));
var classifier = mlContext.Transforms.Conversion.MapValueToKey("Label")
    .Append(loadImages)
    .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(builtInEncoder: BuiltInEncoder.NaturalImage))
    .Append(mlContext.Transforms.Concatenate("Features", "Invariant", "Equivariant"))
    .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
    .AppendCacheCheckpoint(mlContext)
    .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
    .Fit(train);
var metrics = mlContext.MulticlassClassification.Evaluate(classifier.Transform(test));
Console.WriteLine($"Classifier accuracy on the {testRows.Count} held-out photos: {metrics.MicroAccuracy:P1} (chance {1.0 / classes:P0}).");

// 2. Rotation probe: trained self-supervised on the (unlabelled) training photos, which it rotates at random by up to
//    ±45°; it then tells how far any photo is rotated from upright (degrees, counter-clockwise).
var probe = loadImages
    .Append(mlContext.Transforms.EquiRecon().TransformationProbe(builtInEncoder: BuiltInEncoder.NaturalImage))
    .Fit(train);

var rotatedFolder = Path.Combine(AppContext.BaseDirectory, "rotated");
Directory.CreateDirectory(rotatedFolder);
float[] angles = [-40, -20, 0, 20, 40];
var heldOut = testRows.Where((_, i) => i % TestPerClass == 0).ToList(); // the first held-out photo of each class
var rotated = new List<RotatedRow>();
foreach (var row in heldOut)
{
    foreach (var angle in angles)
    {
        var path = Path.Combine(rotatedFolder, $"{row.Label}-{Path.GetFileNameWithoutExtension(row.ImagePath)}{angle:+0;-0;0}.png");
        RotatedImages.Write(row.ImagePath, path, angle);
        rotated.Add(new RotatedRow { ImagePath = path, Label = row.Label, Angle = angle });
    }
}
var estimates = mlContext.Data.CreateEnumerable<RotationEstimate>(probe.Transform(mlContext.Data.LoadFromEnumerable(rotated)), reuseRowObject: false).ToList();

Console.WriteLine("Rotation probe on held-out photos, rotated here by a known angle:");
Console.WriteLine($"  {"photo",-18} {"rotated by",10} {"estimated",10}");
foreach (var (e, row) in estimates.Zip(rotated).Take(angles.Length * 2))
    Console.WriteLine($"  {names[row.Label],-18} {e.Angle,9:+0;-0;0}° {e.RotationParameters[0],9:+0.0;-0.0;0.0}°");
var meanError = estimates.Average(e => Math.Abs(e.RotationParameters[0] - e.Angle));
Console.WriteLine($"Rotation estimate: mean absolute error {meanError:0.0}° over {estimates.Count} rotated held-out photos (angles {string.Join(", ", angles)}°; guessing 0° would give {angles.Average(Math.Abs):0.0}°).");
Console.WriteLine($"Done in {stopwatch.Elapsed.TotalSeconds:0} s.");
