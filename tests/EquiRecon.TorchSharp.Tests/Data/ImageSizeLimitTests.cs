using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Runtime;
using SkiaSharp;
using static TorchSharp.torch;
using static TorchSharp.torchvision.io;

namespace EquiRecon.TorchSharp.Tests.Data;

/// <summary>Issue 27 item 6: images are bounded before they are decoded, and large JPEGs are decoded scaled down.</summary>
public sealed class ImageSizeLimitTests
{
    public ImageSizeLimitTests() => TorchNative.EnsureLoaded();

    private static void WriteImage(string path, int width, int height, SKEncodedImageFormat format, Func<int, int, SKColor> colour, SKAlphaType alpha = SKAlphaType.Unpremul)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, alpha));
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                bitmap.SetPixel(x, y, colour(x, y));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 95);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data.ToArray());
    }

    private static SKColor Smooth(int x, int y) => new((byte)(x % 256), (byte)(y % 256), 120);

    [Theory]
    [InlineData(20_000, 20_000, "20000×20000 pixels (400 megapixels)")]
    [InlineData(100_000, 100_000, "100000×100000 pixels (10000 megapixels)")]
    public void A_png_whose_header_claims_a_huge_size_is_refused_naming_file_and_size_without_allocating(int width, int height, string size)
    {
        using var dir = new TempDir();
        var path = PngForge.WriteClaimingSize(dir.File("c/huge.png"), width, height);
        new FileInfo(path).Length.Should().BeLessThan(16 << 10, "the file is tiny; only its header claims the size");

        var before = GC.GetAllocatedBytesForCurrentThread();
        var decoding = () => ImageFile.Decode(path, targetSide: 32, ImageFolder.DefaultMaxImagePixels, imager: null).Dispose();
        decoding.Should().Throw<InvalidDataException>()
            .WithMessage($"Image '{path}' is {size}, more than the limit of 100 megapixels; it was not decoded.*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(1 << 20);

        // Through the folder reader too: an error naming the file, not an AggregateException from an allocation.
        var reading = () => ImageFolder.Read(dir.Path, imageSize: 32);
        reading.Should().Throw<InvalidDataException>().WithMessage($"Image '{path}' is {size}*");
    }

    [Fact]
    public void Skip_unreadable_leaves_out_an_image_above_the_limit_and_lists_it()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("a/1.png"), 8, 8, SKEncodedImageFormat.Png, (x, y) => new SKColor(1, 2, 3));
        var huge = PngForge.WriteClaimingSize(dir.File("a/2-huge.png"), 20_000, 20_000);
        WriteImage(dir.File("b/1.png"), 8, 8, SKEncodedImageFormat.Png, (x, y) => new SKColor(4, 5, 6));
        var skipped = new List<string>();

        // No imageSize: the first image fixes the size, the huge one is checked by the parallel pass.
        using var data = ImageFolder.Read(dir.Path, skipped: skipped);

        data.Count.Should().Be(2);
        data.Images[1, .., 0, 0].data<byte>().ToArray().Should().Equal(4, 5, 6);
        skipped.Should().Equal(huge);
    }

    [Fact]
    public void The_limit_is_an_option_and_is_checked_on_the_first_image_too()
    {
        using var dir = new TempDir();
        WriteImage(dir.File("c/a.png"), 20, 10, SKEncodedImageFormat.Png, Smooth);
        WriteImage(dir.File("c/b.png"), 10, 10, SKEncodedImageFormat.Png, Smooth);

        var strict = () => ImageFolder.Read(dir.Path, maxImagePixels: 199);
        strict.Should().Throw<InvalidDataException>().WithMessage("*a.png' is 20×10 pixels (200 pixels), more than the limit of 199 pixels*");
        var skipped = new List<string>();
        using (var data = ImageFolder.Read(dir.Path, skipped: skipped, maxImagePixels: 199))
            data.Images.shape.Should().Equal(1, 3, 10, 10);
        skipped.Select(Path.GetFileName).Should().Equal("a.png");
        using (var data = ImageFolder.Read(dir.Path, imageSize: 10, maxImagePixels: 200))
            data.Count.Should().Be(2);
        FluentActions.Invoking(() => ImageFolder.Read(dir.Path, maxImagePixels: 0)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("maxImagePixels");
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, SKAlphaType.Unpremul)]
    [InlineData(SKEncodedImageFormat.Jpeg, SKAlphaType.Opaque)]
    public void The_decoded_pixels_are_torchvisions_skia_imagers(SKEncodedImageFormat format, SKAlphaType alpha)
    {
        using var dir = new TempDir();
        var path = dir.File("c/i." + format.ToString().ToLowerInvariant());
        // Partly transparent for the PNG: both premultiply, then drop alpha.
        WriteImage(path, 37, 23, format, (x, y) => new SKColor((byte)(7 * x), (byte)(11 * y), (byte)(x * y), (byte)(255 - 5 * x)), alpha);

        using var ours = ImageFile.Decode(path, targetSide: null, ImageFolder.DefaultMaxImagePixels, imager: null);
        using var torchvision = new SkiaImager().DecodeImage(File.ReadAllBytes(path), ImageReadMode.RGB);

        ours.shape.Should().Equal(3, 23, 37);
        torchvision.shape.Should().Equal(3, 23, 37);
        ours.dtype.Should().Be(torchvision.dtype);
        using var same = ours.eq(torchvision).all();
        same.item<bool>().Should().BeTrue();
    }

    [Fact]
    public void A_large_jpeg_is_decoded_scaled_down_when_the_target_is_small_and_at_full_size_otherwise()
    {
        using var dir = new TempDir();
        var path = dir.File("c/big.jpg");
        WriteImage(path, 1024, 640, SKEncodedImageFormat.Jpeg, (x, y) => new SKColor(90, 160, 30), SKAlphaType.Opaque);

        // Target 16: 1/8 (128 × 80) keeps the shorter side ≥ 4 × 16.
        using (var scaled = ImageFile.Decode(path, targetSide: 16, ImageFolder.DefaultMaxImagePixels, imager: null))
        {
            scaled.shape.Should().Equal(3, 80, 128);
            using var mean = scaled.to(ScalarType.Float32).mean([1, 2]);
            mean.data<float>().ToArray().Should().SatisfyRespectively(
                r => r.Should().BeApproximately(90, 3), g => g.Should().BeApproximately(160, 3), b => b.Should().BeApproximately(30, 3));
        }
        // Target 100: 1/2 (512 × 320) is below 4 × 100 on the shorter side, so the full image.
        using (var full = ImageFile.Decode(path, targetSide: 100, ImageFolder.DefaultMaxImagePixels, imager: null))
            full.shape.Should().Equal(3, 640, 1024);
        // A PNG is never scaled (its codec cannot), and no target means full size.
        using (var png = ImageFile.Decode(WritePngCopy(dir, 1024, 640), targetSide: 16, ImageFolder.DefaultMaxImagePixels, imager: null))
            png.shape.Should().Equal(3, 640, 1024);

        using var data = ImageFolder.Read(dir.Path, imageSize: 16);
        data.Images.shape.Should().Equal(2, 3, 16, 16);
        data.Images[0, .., 8, 8].data<byte>().ToArray().Select(v => (int)v).Should().SatisfyRespectively(
            r => r.Should().BeCloseTo(90, 3), g => g.Should().BeCloseTo(160, 3), b => b.Should().BeCloseTo(30, 3));
    }

    private static string WritePngCopy(TempDir dir, int width, int height)
    {
        var path = dir.File("c/copy.png");
        WriteImage(path, width, height, SKEncodedImageFormat.Png, (x, y) => new SKColor(90, 160, 30), SKAlphaType.Opaque);
        return path;
    }
}
