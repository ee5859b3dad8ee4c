using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Runtime;
using SkiaSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Data;

public sealed class ImageFolderTests
{
    public ImageFolderTests() => TorchNative.EnsureLoaded();

    /// <summary>Writes a PNG with SkiaSharp directly (independent of the decoder under test): pixel (x, y) = colour(x, y).</summary>
    private static void WritePng(string path, int width, int height, Func<int, int, SKColor> colour, bool gray = false)
    {
        var info = new SKImageInfo(width, height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888, gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static SKColor Pattern(int x, int y) => new((byte)(10 * x), (byte)(20 * y), (byte)(200 - x - y));

    [Fact]
    public void Reads_classes_sorted_with_exact_rgb_pixels()
    {
        using var dir = new TempDir();
        WritePng(Path.Combine(dir.Path, "zebra", "b.png"), 4, 3, Pattern);
        WritePng(Path.Combine(dir.Path, "zebra", "a.png"), 4, 3, (x, y) => new SKColor(255, 0, 0));
        WritePng(Path.Combine(dir.Path, "ant", "only.png"), 4, 3, (x, y) => new SKColor((byte)(x * 60), (byte)(x * 60), (byte)(x * 60)), gray: true);
        File.WriteAllText(Path.Combine(dir.Path, "ant", "notes.txt"), "ignored");

        using var scope = NewDisposeScope();
        using var data = ImageFolder.Read(dir.Path, maxDegreeOfParallelism: 2);

        data.ClassNames.Should().Equal("ant", "zebra");
        data.Images.shape.Should().Equal(3, 3, 3, 4);
        data.Labels.data<long>().ToArray().Should().Equal(0, 1, 1);
        // Grayscale → three equal channels.
        data.Images[0, 0, 1].data<byte>().ToArray().Should().Equal(0, 60, 120, 180);
        data.Images[0, 2, 1].data<byte>().ToArray().Should().Equal(0, 60, 120, 180);
        // a.png (pure red) comes before b.png.
        data.Images[1, .., 0, 0].data<byte>().ToArray().Should().Equal(255, 0, 0);
        // b.png: pixel (x = 3, y = 2) = (30, 40, 195) in R, G, B order.
        data.Images[2, .., 2, 3].data<byte>().ToArray().Should().Equal(30, 40, 195);
    }

    [Fact]
    public void Resizes_to_a_square_and_limits_per_class()
    {
        using var dir = new TempDir();
        for (var i = 0; i < 3; i++)
            WritePng(Path.Combine(dir.Path, "c", $"{i}.png"), 8 + 4 * i, 6, (x, y) => new SKColor(100, 150, 200));
        using var data = ImageFolder.Read(dir.Path, imageSize: 4, limitPerClass: 2);
        data.Images.shape.Should().Equal(2, 3, 4, 4);
        // A constant image stays constant after bilinear resizing.
        data.Images[1, .., 2, 2].data<byte>().ToArray().Should().Equal(100, 150, 200);
    }

    [Fact]
    public void Mixed_sizes_without_image_size_name_the_file()
    {
        using var dir = new TempDir();
        WritePng(Path.Combine(dir.Path, "c", "a.png"), 4, 4, Pattern);
        WritePng(Path.Combine(dir.Path, "c", "b.png"), 5, 4, Pattern);
        var act = () => ImageFolder.Read(dir.Path, maxDegreeOfParallelism: 1);
        act.Should().Throw<InvalidDataException>().WithMessage("*b.png*5×4*imageSize*");
    }

    [Fact]
    public void Undecodable_image_names_the_file()
    {
        using var dir = new TempDir();
        WritePng(Path.Combine(dir.Path, "c", "a.png"), 4, 4, Pattern);
        File.WriteAllText(Path.Combine(dir.Path, "c", "broken.jpg"), "not an image");
        var act = () => ImageFolder.Read(dir.Path, imageSize: 4);
        act.Should().Throw<InvalidDataException>().WithMessage("*broken.jpg*could not be decoded*");
    }

    /// <summary>Writes a JPEG of a smooth pattern with SkiaSharp.</summary>
    private static byte[] Jpeg(int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, new SKColor((byte)(3 * x), (byte)(2 * y), 200));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    [Fact]
    public void A_truncated_jpeg_is_an_error_naming_the_file_and_the_reason_not_blank_pixels()
    {
        using var dir = new TempDir();
        WritePng(Path.Combine(dir.Path, "c", "a.png"), 64, 64, Pattern);
        var jpeg = Jpeg(64, 64);
        File.WriteAllBytes(Path.Combine(dir.Path, "c", "cut.jpg"), jpeg[..(jpeg.Length / 2)]);

        var act = () => ImageFolder.Read(dir.Path, imageSize: 32);

        act.Should().Throw<InvalidDataException>().WithMessage("Image '*cut.jpg' could not be decoded: the file is truncated (SkiaSharp: IncompleteInput).");
    }

    [Fact]
    public void An_undecodable_image_gives_the_decoders_reason_not_a_null_reference()
    {
        using var dir = new TempDir();
        WritePng(Path.Combine(dir.Path, "c", "a.png"), 4, 4, Pattern);
        File.WriteAllText(Path.Combine(dir.Path, "c", "text.png"), "not an image");
        var act = () => ImageFolder.Read(dir.Path, imageSize: 4);
        act.Should().Throw<InvalidDataException>().Which.Message.Should().Contain("text.png").And.Contain("SkiaSharp").And.NotContain("Object reference");
    }

    [Fact]
    public void Skipping_unreadable_images_leaves_them_out_and_lists_them()
    {
        using var dir = new TempDir();
        WritePng(Path.Combine(dir.Path, "a", "1.png"), 8, 8, Pattern);
        File.WriteAllText(Path.Combine(dir.Path, "a", "0-broken.png"), "not an image");
        WritePng(Path.Combine(dir.Path, "b", "1.png"), 8, 8, (x, y) => new SKColor(1, 2, 3));
        var jpeg = Jpeg(16, 16);
        File.WriteAllBytes(Path.Combine(dir.Path, "b", "2-cut.jpg"), jpeg[..(jpeg.Length / 2)]);
        var skipped = new List<string>();

        using var data = ImageFolder.Read(dir.Path, skipped: skipped);

        data.Count.Should().Be(2);
        data.Labels.data<long>().ToArray().Should().Equal(0, 1);
        data.Images[1, 0, 0, 0].item<byte>().Should().Be(1);
        skipped.Select(Path.GetFileName).Should().Equal("0-broken.png", "2-cut.jpg");
    }

    [Fact]
    public void Missing_root_and_empty_layouts_are_explained()
    {
        using var dir = new TempDir();
        var missing = () => ImageFolder.Read(Path.Combine(dir.Path, "nope"));
        missing.Should().Throw<DirectoryNotFoundException>().WithMessage("*nope*one subfolder per class*");
        var noClasses = () => ImageFolder.Read(dir.Path);
        noClasses.Should().Throw<InvalidDataException>().WithMessage("*no class subfolders*");
        Directory.CreateDirectory(Path.Combine(dir.Path, "empty"));
        var emptyClass = () => ImageFolder.Read(dir.Path);
        emptyClass.Should().Throw<InvalidDataException>().WithMessage("*empty*has no images*");
    }

    [Fact]
    public void Reads_five_real_cifar10_test_images_per_class()
    {
        var root = SharedData.Cifar10Directory;
        if (root is null)
            return;
        using var scope = NewDisposeScope();
        using var data = ImageFolder.Read(Path.Combine(root, "test"), limitPerClass: 5);
        data.Images.shape.Should().Equal(50, 3, 32, 32);
        data.ClassNames.Should().Equal("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");
        data.Labels.bincount(null).data<long>().ToArray().Should().AllBeEquivalentTo(5);
        // Real photographs: not blank.
        data.Images.to(ScalarType.Float32).std().item<float>().Should().BeGreaterThan(20);
    }
}
