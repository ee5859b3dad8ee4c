// Orientation: "find the rotated photos". A rotation probe on EquiRecon's default encoder is trained self-supervised
// on upright, unlabelled CIFAR-10 training images (it rotates them at random by up to ±45° and learns to read the angle
// back from the encoder's equivariant features). It then estimates the angle of held-out test images, a random half of
// which were rotated here by 15° to 45° either way; an image is flagged as rotated when |estimated angle| > 10°:
//
//     dotnet run --project samples/Orientation -c Release
//
// Rotating a 32 × 32 image leaves black corners, which the probe also sees in its training; photos that were rotated
// and then cropped would be harder.
// Optional arguments: the flagging threshold in degrees (default 10) and the number of test images (default 400), e.g.
// `dotnet run --project samples/Orientation -c Release -- 12 1000`. Data: shared/data/cifar10 (see SampleData.cs).
using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Probes;
using EquiRecon.Samples;
using Microsoft.ML;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
float threshold = args.Length > 0 ? float.Parse(args[0], CultureInfo.InvariantCulture) : 10f;
int testCount = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 400;
const int ProbeImagesPerClass = 50;
const float MinAngle = 15, MaxAngle = 45;

var cifar = SampleData.Folder("cifar10");
var mlContext = new MLContext(seed: 0);
var loadImages = mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageRow.ImagePath))
    .Append(mlContext.Transforms.ResizeImages("Image", 32, 32));

// 1. Fit the rotation probe on upright training images; no labels and no rotated examples are needed.
var stopwatch = Stopwatch.StartNew();
var uprightRows = SampleData.ListImageFolder(Path.Combine(cifar, "train"), ProbeImagesPerClass);
var upright = mlContext.Data.LoadFromEnumerable(uprightRows);
var probeOptions = new TransformationProbeOptions { Epochs = 40, SamplesPerImage = 4, Seed = 0 };
var probe = loadImages.Append(mlContext.Transforms.EquiRecon().TransformationProbe(probeOptions)).Fit(upright);
Console.WriteLine($"Fitted the rotation probe on {uprightRows.Count} upright training images in {stopwatch.Elapsed.TotalSeconds:0} s.");

// 2. Test images: a random sample of the test set; a random half is rotated by a random angle, 15° ≤ |angle| ≤ 45°
//    (counter-clockwise positive), the rest is left upright. All are written as PNG the same way (the upright ones
//    "rotated" by 0°), so the file format tells nothing.
var rng = new Random(42);
var testRows = SampleData.ListImageFolder(Path.Combine(cifar, "test"))
    .OrderBy(_ => rng.Next())
    .Take(testCount)
    .ToList();
var folder = Path.Combine(AppContext.BaseDirectory, "orientation-test");
Directory.CreateDirectory(folder);
var cases = new List<RotatedRow>();
foreach (var (row, index) in testRows.Select((r, i) => (r, i)))
{
    float angle = 0;
    if (rng.Next(2) == 1)
        angle = (MinAngle + ((MaxAngle - MinAngle) * rng.NextSingle())) * (rng.Next(2) == 1 ? 1 : -1);
    var path = Path.Combine(folder, $"{index:D4}-{row.Label}.png");
    RotatedImages.Write(row.ImagePath, path, angle);
    cases.Add(new RotatedRow { ImagePath = path, Label = row.Label, Angle = angle });
}

var estimates = mlContext.Data.CreateEnumerable<RotationEstimate>(
    probe.Transform(mlContext.Data.LoadFromEnumerable(cases)), reuseRowObject: false).ToList();

// 3. Flag |estimated angle| > threshold as "rotated" and score the flags against the truth.
int truePositives = 0, falsePositives = 0, falseNegatives = 0, trueNegatives = 0;
foreach (var e in estimates)
{
    bool rotated = e.Angle != 0, flagged = Math.Abs(e.RotationParameters[0]) > threshold;
    if (rotated && flagged) truePositives++;
    else if (!rotated && flagged) falsePositives++;
    else if (rotated) falseNegatives++;
    else trueNegatives++;
}
int rotatedCount = truePositives + falseNegatives, total = estimates.Count;
double precision = truePositives + falsePositives == 0 ? double.NaN : (double)truePositives / (truePositives + falsePositives);
double recall = (double)truePositives / rotatedCount;
double accuracy = (double)(truePositives + trueNegatives) / total;
var rotatedEstimates = estimates.Where(e => e.Angle != 0).ToList();
double meanError = rotatedEstimates.Average(e => Math.Abs(e.RotationParameters[0] - e.Angle));
double zeroGuessError = rotatedEstimates.Average(e => Math.Abs(e.Angle));
double directionRight = rotatedEstimates.Count(e => Math.Sign(e.RotationParameters[0]) == Math.Sign(e.Angle)) / (double)rotatedEstimates.Count;
double uprightMeanAbs = estimates.Where(e => e.Angle == 0).Average(e => Math.Abs(e.RotationParameters[0]));

Console.WriteLine("A few estimates:");
foreach (var e in estimates.Take(8))
    Console.WriteLine($"  {Path.GetFileName(e.ImagePath),-20} rotated by {e.Angle,6:+0.0;-0.0;0.0}°, estimated {e.RotationParameters[0],6:+0.0;-0.0;0.0}° -> {(Math.Abs(e.RotationParameters[0]) > threshold ? "flagged" : "upright")}");
Console.WriteLine($"{total} held-out test images, {rotatedCount} rotated by {MinAngle:0}°–{MaxAngle:0}° either way, {total - rotatedCount} upright; flagged when |estimate| > {threshold:0.#}°:");
Console.WriteLine($"  flags:      precision {precision:P1}, recall {recall:P1}, accuracy {accuracy:P1}  (TP {truePositives}, FP {falsePositives}, FN {falseNegatives}, TN {trueNegatives})");
Console.WriteLine($"  baselines:  flag nothing: accuracy {(double)(total - rotatedCount) / total:P1}, recall 0 %; flag everything: precision {(double)rotatedCount / total:P1}, recall 100 %, accuracy {(double)rotatedCount / total:P1}");
Console.WriteLine($"  angles:     mean absolute error {meanError:0.0}° on the rotated images (answering 0° gives {zeroGuessError:0.0}°), direction right for {directionRight:P0} (chance 50 %); mean |estimate| on upright images {uprightMeanAbs:0.0}°");
