using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using SkiaSharp;
using Xunit.Abstractions;

namespace EquiRecon.Cli.Tests.Running;

public sealed class CamVidTransferTests(ITestOutputHelper output)
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    /// <summary>Tiny and fast: 24 × 32 working images, a head 8 wide, 2 epochs.</summary>
    private static readonly CamVidSettings Tiny = new() { ImageSize = 24, TrainImages = 6, TestImages = 3, Epochs = 2, HiddenWidth = 8 };

    [Fact]
    public void A_synthetic_CamVid_folder_is_fitted_and_scored_through_the_segmentation_step()
    {
        using var dir = new TempDir();
        var camvid = WriteCamVid(dir.Sub("camvid"), train: 8, test: 4);
        var lines = new List<string>();

        var score = CamVidTransfer.Evaluate(TinyModel(dir), camvid, Tiny, seed: 1, lines.Add);
        output.WriteLine(string.Join(Environment.NewLine, lines));

        (score.TrainImages, score.TestImages, score.Height, score.Width).Should().Be((6, 3, 24, 32), "6 of 8 and 3 of 4 ids at 24 px high, 4 : 3");
        score.MeanIoU.Should().BeInRange(0, 1);
        score.PixelAccuracy.Should().BeInRange(0, 1);
        score.PerClassIoU.Should().HaveCount(CamVidTransfer.Classes, "void is not a scored class");
        score.PerClassIoU.Where(v => !double.IsNaN(v)).Should().OnlyContain(v => v >= 0 && v <= 1).And.NotBeEmpty();
        score.MeanIoU.Should().BeApproximately(score.PerClassIoU.Where(v => !double.IsNaN(v)).Average(), 1e-12);
        score.Seconds.Should().BePositive();
        lines.Should().Contain(l => l.Contains("mIoU", StringComparison.Ordinal));
    }

    [Fact]
    public void Void_pixels_are_ignored_and_only_present_classes_get_an_IoU()
    {
        // Truth 4 × 4: void except a 2 × 2 block of road (3) at the bottom left. Predictions 2 × 2, upsampled by nearest
        // neighbour: each covers one 2 × 2 block; the wrong classes (5, void, 8) fall on void pixels only.
        byte v = CamVidTransfer.Void;
        var truth = new CamVidTransfer.ClassMap(4, 4, [v, v, v, v, v, v, v, v, 3, 3, v, v, 3, 3, v, v]);
        var confusion = new long[CamVidTransfer.Classes, CamVidTransfer.MaskClasses];
        CamVidTransfer.Accumulate(confusion, new CamVidTransfer.ClassMap(2, 2, [5, v, 3, 8]), truth);
        var (meanIoU, accuracy, perClass) = CamVidTransfer.Score(confusion);
        (meanIoU, accuracy, perClass[3]).Should().Be((1.0, 1.0, 1.0));
        perClass.Where((_, k) => k != 3).Should().OnlyContain(x => double.IsNaN(x), "classes absent from the non-void truth and predictions have no IoU");

        // A void prediction on road pixels is a miss of road and a false positive for no class.
        confusion = new long[CamVidTransfer.Classes, CamVidTransfer.MaskClasses];
        CamVidTransfer.Accumulate(confusion, new CamVidTransfer.ClassMap(2, 2, [5, 5, v, 8]), truth);
        (meanIoU, accuracy, perClass) = CamVidTransfer.Score(confusion);
        (meanIoU, accuracy, perClass[3]).Should().Be((0.0, 0.0, 0.0));
        perClass.Count(x => !double.IsNaN(x)).Should().Be(1);

        var allVoid = () => CamVidTransfer.Score(new long[CamVidTransfer.Classes, CamVidTransfer.MaskClasses]);
        allVoid.Should().Throw<InvalidOperationException>().WithMessage("*every test mask is void*");
    }

    [Fact]
    public void Test_masks_that_are_void_except_one_class_score_only_that_class_and_the_classes_predicted_on_it()
    {
        using var dir = new TempDir();
        var camvid = WriteCamVid(dir.Sub("camvid"), train: 6, test: 3, testOnlyRoad: true);

        var score = CamVidTransfer.Evaluate(TinyModel(dir), camvid, Tiny, seed: 2, log: null);

        double.IsNaN(score.PerClassIoU[3]).Should().BeFalse("road is the one class of the test masks");
        score.PerClassIoU.Where((x, k) => k != 3 && !double.IsNaN(x)).Should().OnlyContain(x => x == 0, "other classes can only be false positives on road pixels");
        score.MeanIoU.Should().BeApproximately(score.PerClassIoU.Where(x => !double.IsNaN(x)).Average(), 1e-12);
        // With road the only non-void truth, nothing is a false positive for road among scored pixels, so its IoU equals the
        // pixel accuracy; counting a void pixel would break the equality.
        score.PerClassIoU[3].Should().BeApproximately(score.PixelAccuracy, 1e-12);
    }

    [Fact]
    public void Layout_errors_name_the_folder_or_file_before_any_training()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir);
        var camvid = WriteCamVid(dir.Sub("camvid"), train: 6, test: 3);
        CliException Fails(string folder, CamVidSettings? settings = null, string? modelFile = null)
        {
            var act = () => CamVidTransfer.Evaluate(modelFile ?? model, folder, settings ?? Tiny, seed: 1, log: null);
            return act.Should().Throw<CliException>().Which;
        }

        Fails(dir.Sub("nowhere")).Message.Should().Contain("nowhere").And.Contain("does not exist");
        Fails(camvid, modelFile: dir.Sub("missing.equirecon")).Message.Should().Contain("missing.equirecon");
        Fails(camvid, Tiny with { Epochs = 0 }).Message.Should().Contain("'Epochs'");

        File.Move(Path.Combine(camvid, "masks", "test000.png"), Path.Combine(camvid, "masks", "moved.png"));
        Fails(camvid).Message.Should().Contain("'test000'").And.Contain(Path.Combine(camvid, "masks", "test000.png"));
        WriteMask(Path.Combine(camvid, "masks", "test000.png"), 40, 30, (_, _) => 3);
        Fails(camvid).Message.Should().Contain(Path.Combine(camvid, "masks", "test000.png")).And.Contain("40 × 30").And.Contain("48 × 36");
        WriteMask(Path.Combine(camvid, "masks", "test000.png"), 48, 36, (x, _) => x == 5 ? (byte)200 : (byte)3);
        Fails(camvid).Message.Should().Contain("test000.png").And.Contain("value 200");
        File.Move(Path.Combine(camvid, "masks", "moved.png"), Path.Combine(camvid, "masks", "test000.png"), overwrite: true);

        File.Delete(Path.Combine(camvid, "images", "train003.jpg"));
        Fails(camvid).Message.Should().Contain(Path.Combine(camvid, "images", "train003.jpg"));
        File.Delete(Path.Combine(camvid, "splits", "test.txt"));
        Fails(camvid).Message.Should().Contain(Path.Combine(camvid, "splits", "test.txt"));
    }

    [Fact]
    public void Subsets_are_spread_evenly_over_the_split()
    {
        string[] ids = ["a", "b", "c", "d", "e", "f", "g"];
        CamVidTransfer.Pick(ids, 3).Should().Equal("a", "c", "e");
        CamVidTransfer.Pick(ids, null).Should().Equal(ids);
        CamVidTransfer.Pick(ids, 10).Should().Equal(ids);
    }

    [CamVidFact]
    public void A_tiny_subset_of_the_real_CamVid_split_is_scored()
    {
        using var dir = new TempDir();
        var score = CamVidTransfer.Evaluate(TinyModel(dir), SharedData.CamVid!, Tiny with { ImageSize = 32 }, seed: 1, output.WriteLine);

        (score.TrainImages, score.TestImages, score.Height, score.Width).Should().Be((6, 3, 32, 43), "480 × 360 frames keep their 4 : 3 aspect");
        score.MeanIoU.Should().BeInRange(0, 1);
        score.PixelAccuracy.Should().BeInRange(0, 1);
        score.PerClassIoU.Should().HaveCount(11);
    }

    /// <summary>A random tiny encoder (widths 8, 8, 16, 16, CIFAR stem) saved as a model file of input size 16.</summary>
    private static string TinyModel(TempDir dir)
    {
        var path = dir.Sub("tiny.equirecon");
        global::TorchSharp.torch.random.manual_seed(1);
        using var encoder = EncoderFactory.Create(TinyData.Encoder);
        ModelFile.Save(path, encoder, "random", 16, Mean, Std);
        return path;
    }

    /// <summary>
    /// A CamVid-like folder of 48 × 36 scenes: sky (0) above, road (3) below, a car (8) on the road, a void (11) line at the
    /// horizon; with <paramref name="testOnlyRoad"/> the test masks are void except the road.
    /// </summary>
    internal static string WriteCamVid(string root, int train, int test, bool testOnlyRoad = false)
    {
        foreach (var folder in new[] { "images", "masks", "splits" })
            Directory.CreateDirectory(Path.Combine(root, folder));
        var random = new Random(3);
        void Write(string id, bool onlyRoad)
        {
            int horizon = random.Next(12, 20), carX = random.Next(0, 30), carY = random.Next(horizon + 2, 28);
            byte ClassAt(int x, int y) => y == horizon ? CamVidTransfer.Void
                : y < horizon ? (byte)0
                : x >= carX && x < carX + 14 && y >= carY && y < carY + 7 ? (byte)8 : (byte)3;
            using var bitmap = new SKBitmap(new SKImageInfo(48, 36, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (int y = 0; y < 36; y++)
            {
                for (int x = 0; x < 48; x++)
                {
                    bitmap.SetPixel(x, y, ClassAt(x, y) switch
                    {
                        0 => new SKColor(110, 160, 230),
                        8 => new SKColor(200, 30, 30),
                        3 => new SKColor(90, 90, 90),
                        _ => new SKColor(20, 20, 20),
                    });
                }
            }
            using (var image = SKImage.FromBitmap(bitmap))
            using (var data = image.Encode(SKEncodedImageFormat.Jpeg, 95))
            using (var file = File.Create(Path.Combine(root, "images", id + ".jpg")))
                data.SaveTo(file);
            WriteMask(Path.Combine(root, "masks", id + ".png"), 48, 36, (x, y) => onlyRoad && ClassAt(x, y) != 3 ? CamVidTransfer.Void : ClassAt(x, y));
        }

        var trainIds = Enumerable.Range(0, train).Select(i => $"train{i:D3}").ToArray();
        var testIds = Enumerable.Range(0, test).Select(i => $"test{i:D3}").ToArray();
        foreach (var id in trainIds)
            Write(id, onlyRoad: false);
        foreach (var id in testIds)
            Write(id, testOnlyRoad);
        File.WriteAllLines(Path.Combine(root, "splits", "train.txt"), trainIds);
        File.WriteAllLines(Path.Combine(root, "splits", "test.txt"), testIds);
        return root;
    }

    /// <summary>An 8-bit greyscale PNG whose values are class indices.</summary>
    private static void WriteMask(string path, int width, int height, Func<int, int, byte> value)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Gray8, SKAlphaType.Opaque));
        var pixels = new byte[bitmap.RowBytes * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
                pixels[(y * bitmap.RowBytes) + x] = value(x, y);
        }
        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        data.SaveTo(file);
    }
}
