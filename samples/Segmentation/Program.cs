// Segmentation: membrane segmentation of electron-microscopy images (ISBI 2012, 512 × 512 slices of the Drosophila
// nerve cord) with EquiRecon's segmentation adapter: a light head trained on the token map of the frozen default
// encoder, from 64 × 64 tiles of slices 00–19, scored on tiles of held-out slices 25–29 against the constant "most
// frequent class" predictor. One predicted mask is written as a PNG next to its image and true mask:
//
//     dotnet run --project samples/Segmentation -c Release
//
// Optional arguments: training tiles per slice (default 8 of the 64) and epochs (default 10), e.g.
// `dotnet run --project samples/Segmentation -c Release -- 16 20`. Data: shared/data/isbi-em (see SampleData.cs).
using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.Samples;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
int trainTilesPerSlice = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8;
int epochs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;

var isbi = SampleData.Folder("isbi-em");
var mlContext = new MLContext(seed: 0);
var trainTiles = Tiles.Read(isbi, Enumerable.Range(0, 20), trainTilesPerSlice);
var testTiles = Tiles.Read(isbi, Enumerable.Range(25, 5), perSlice: 16);
Console.WriteLine($"ISBI 2012 EM: {trainTiles.Length} training tiles (slices 00–19), {testTiles.Length} test tiles (held-out slices 25–29), {Tiles.Size} × {Tiles.Size} px.");

// 1. Fit the head: masks map to 2 classes at grey level 128 (0 = membrane, 1 = cell interior), the default.
var maskToClass = MaskToClass.Threshold(128);
var options = new EquiReconSegmentationOptions
{
    MaskColumnName = "Mask",
    MaskToClass = maskToClass,
    Epochs = epochs,
    Seed = 0,
};
var stopwatch = Stopwatch.StartNew();
var model = mlContext.Transforms.EquiRecon().Segmentation(options).Fit(mlContext.Data.LoadFromEnumerable(trainTiles));
Console.WriteLine($"Trained the segmentation head ({epochs} epochs) in {stopwatch.Elapsed.TotalSeconds:0} s.");

// 2. Score the held-out tiles, and the constant predictor that answers the training set's most frequent class everywhere.
var predictions = model.Transform(mlContext.Data.LoadFromEnumerable(testTiles));
var metrics = SegmentationMetrics.Evaluate(predictions, "Mask", "SegmentationMap", maskToClass);

long[] trainCounts = new long[maskToClass.Classes];
foreach (var tile in trainTiles)
    foreach (int c in Tiles.Classes(tile.Mask!, maskToClass))
        trainCounts[c]++;
int majority = Array.IndexOf(trainCounts, trainCounts.Max());
int[] target = [.. testTiles.SelectMany(t => Tiles.Classes(t.Mask!, maskToClass))];
var constant = SegmentationMetrics.Compute(Enumerable.Repeat(majority, target.Length).ToArray(), target, maskToClass.Classes);

string[] names = ["membrane", "interior"];
string ClassIoU(SegmentationMetrics m) => string.Join(", ", m.PerClassIoU.Select((v, i) => $"{names[i]} {v:0.000}"));
Console.WriteLine($"Training pixels: {trainCounts[0] / (double)trainCounts.Sum():P1} membrane, {trainCounts[1] / (double)trainCounts.Sum():P1} interior.");
Console.WriteLine($"Held-out slices 25–29 ({metrics.Images} tiles, {metrics.Pixels} pixels):");
Console.WriteLine($"  segmentation head:            mIoU {metrics.MeanIoU:0.000}, pixel accuracy {metrics.PixelAccuracy:P1} (IoU {ClassIoU(metrics)})");
Console.WriteLine($"  constant \"{names[majority]}\" predictor: mIoU {constant.MeanIoU:0.000}, pixel accuracy {constant.PixelAccuracy:P1} (IoU {ClassIoU(constant)})");

// 3. Write one held-out tile, its true mask and the predicted mask side by side (image | truth | prediction).
var maps = mlContext.Data.CreateEnumerable<SegmentationOutput>(predictions, reuseRowObject: false).ToList();
int shown = Enumerable.Range(0, testTiles.Length)
    .OrderBy(i => Math.Abs(Tiles.Classes(testTiles[i].Mask!, maskToClass).Average() - 0.75)) // a tile with about the usual 25 % of membrane
    .First();
string outputFolder = Path.Combine(AppContext.BaseDirectory, "segmentation");
Directory.CreateDirectory(outputFolder);
string imagePath = Path.Combine(outputFolder, "tile-image.png");
string predictedPath = Path.Combine(outputFolder, "tile-predicted-mask.png");
string sideBySidePath = Path.Combine(outputFolder, "tile-image-truth-prediction.png");
testTiles[shown].Image!.Save(imagePath);
using (var predictedMask = Tiles.MaskImage(maps[shown].SegmentationMap))
    predictedMask.Save(predictedPath);
using (var sideBySide = Tiles.SideBySide(testTiles[shown].Image!, testTiles[shown].Mask!, maps[shown].SegmentationMap))
    sideBySide.Save(sideBySidePath);
Console.WriteLine($"Wrote held-out tile {shown} ({testTiles[shown].Name}) and its predicted mask (white = interior, black = membrane) to {outputFolder}:");
Console.WriteLine($"  {Path.GetFileName(imagePath)}, {Path.GetFileName(predictedPath)}, {Path.GetFileName(sideBySidePath)}");

/// <summary>A 64 × 64 image tile and its mask tile, as in-memory images.</summary>
internal sealed class TileRow
{
    [ImageType(Tiles.Size, Tiles.Size)]
    public MLImage? Image { get; set; }

    [ImageType(Tiles.Size, Tiles.Size)]
    public MLImage? Mask { get; set; }

    /// <summary>Where the tile comes from (not a column the model reads).</summary>
    public string Name { get; set; } = "";
}

/// <summary>The segmentation head's output: the class of every pixel, row-major.</summary>
internal sealed class SegmentationOutput
{
    [VectorType(Tiles.Size * Tiles.Size)]
    public float[] SegmentationMap { get; set; } = [];
}

/// <summary>Cutting the 512 × 512 ISBI slices into 64 × 64 tiles, and drawing masks.</summary>
internal static class Tiles
{
    public const int Size = 64;
    private const int SliceSize = 512, Grid = SliceSize / Size;

    /// <summary>
    /// <paramref name="perSlice"/> tiles of each slice (images/NN.png, masks/NN.png), evenly spread over its 8 × 8 grid of
    /// tiles (every <c>64 / perSlice</c>-th tile in row-major order).
    /// </summary>
    public static TileRow[] Read(string root, IEnumerable<int> slices, int perSlice)
    {
        int step = Math.Max(1, Grid * Grid / perSlice);
        var rows = new List<TileRow>();
        foreach (int slice in slices)
        {
            using var image = MLImage.CreateFromFile(Path.Combine(root, "images", $"{slice:D2}.png"));
            using var mask = MLImage.CreateFromFile(Path.Combine(root, "masks", $"{slice:D2}.png"));
            if (image.Width != SliceSize || image.Height != SliceSize || mask.Width != SliceSize || mask.Height != SliceSize)
                throw new InvalidDataException($"Slice {slice:D2}: expected {SliceSize} × {SliceSize} image and mask.");
            for (int t = 0, taken = 0; t < Grid * Grid && taken < perSlice; t += step, taken++)
            {
                rows.Add(new TileRow
                {
                    Image = Crop(image, t / Grid, t % Grid),
                    Mask = Crop(mask, t / Grid, t % Grid),
                    Name = $"slice {slice:D2}, row {t / Grid}, column {t % Grid}",
                });
            }
        }

        return [.. rows];
    }

    /// <summary>The class of every pixel of a (greyscale) mask, row-major.</summary>
    public static int[] Classes(MLImage mask, MaskToClass maskToClass)
    {
        ReadOnlySpan<byte> pixels = mask.Pixels; // 4 bytes a pixel, grey in each colour byte
        int[] classes = new int[mask.Width * mask.Height];
        for (int i = 0; i < classes.Length; i++)
            classes[i] = maskToClass.ClassOf(pixels[i * 4]);
        return classes;
    }

    /// <summary>A predicted class map as a black (membrane, 0) and white (interior, 1) image.</summary>
    public static MLImage MaskImage(float[] classes)
    {
        byte[] pixels = new byte[classes.Length * 4];
        for (int i = 0; i < classes.Length; i++)
            Grey(pixels, i, classes[i] >= 0.5f ? (byte)255 : (byte)0);
        return MLImage.CreateFromPixels(Size, Size, MLPixelFormat.Rgba32, pixels);
    }

    /// <summary>Image, true mask and predicted mask next to each other, with 4-pixel grey gaps.</summary>
    public static MLImage SideBySide(MLImage image, MLImage mask, float[] predicted)
    {
        const int gap = 4, width = (3 * Size) + (2 * gap);
        byte[] pixels = new byte[width * Size * 4];
        for (int i = 0; i < width * Size; i++)
            Grey(pixels, i, 128);
        ReadOnlySpan<byte> imagePixels = image.Pixels, maskPixels = mask.Pixels;
        for (int y = 0; y < Size; y++)
        {
            for (int x = 0; x < Size; x++)
            {
                int source = (y * Size) + x;
                Grey(pixels, (y * width) + x, imagePixels[source * 4]);
                Grey(pixels, (y * width) + Size + gap + x, maskPixels[source * 4]);
                Grey(pixels, (y * width) + (2 * (Size + gap)) + x, predicted[source] >= 0.5f ? (byte)255 : (byte)0);
            }
        }

        return MLImage.CreateFromPixels(width, Size, MLPixelFormat.Rgba32, pixels);
    }

    private static void Grey(byte[] pixels, int index, byte grey)
    {
        pixels[index * 4] = pixels[(index * 4) + 1] = pixels[(index * 4) + 2] = grey;
        pixels[(index * 4) + 3] = 255;
    }

    private static MLImage Crop(MLImage source, int tileRow, int tileColumn)
    {
        ReadOnlySpan<byte> pixels = source.Pixels;
        byte[] tile = new byte[Size * Size * 4];
        for (int y = 0; y < Size; y++)
        {
            int from = ((((tileRow * Size) + y) * source.Width) + (tileColumn * Size)) * 4;
            pixels.Slice(from, Size * 4).CopyTo(tile.AsSpan(y * Size * 4));
        }

        return MLImage.CreateFromPixels(Size, Size, source.PixelFormat, tile);
    }
}
