using SkiaSharp;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>Photos at the natural-image encoder's input size (128 × 128) for tests.</summary>
internal static class NaturalImages
{
    /// <summary>The natural-image encoder's input side, from its manifest.</summary>
    public const int Size = 128;

    /// <summary>The Imagenette test split (<c>imagenette-160/test/&lt;wnid&gt;/*.jpg</c>), or <see langword="null"/> when absent.</summary>
    public static string? ImagenetteTest
        => SharedData.Root is { } root && Directory.Exists(Path.Combine(root, "imagenette-160", "test")) ? Path.Combine(root, "imagenette-160", "test") : null;

    /// <summary>
    /// Writes <paramref name="count"/> lossless 128 × 128 PNG files and returns their paths: the centre crops of the first
    /// Imagenette test photos (one per class, classes in name order) when <c>shared/data</c> has them, otherwise synthetic images.
    /// </summary>
    public static string[] WritePhotoPngs(string folder, int count)
    {
        if (ImagenetteTest is not { } test)
            return TestImages.WriteSyntheticPngs(folder, count, Size, Size);
        var sources = Directory.GetDirectories(test).Order(StringComparer.Ordinal)
            .Select(d => Directory.GetFiles(d, "*.jpg").Order(StringComparer.Ordinal).First())
            .Take(count).ToArray();
        var paths = new string[sources.Length];
        for (int n = 0; n < sources.Length; n++)
        {
            using var source = SKBitmap.Decode(sources[n]);
            using var crop = new SKBitmap(new SKImageInfo(Size, Size, SKColorType.Rgba8888, SKAlphaType.Opaque));
            using (var canvas = new SKCanvas(crop))
                canvas.DrawBitmap(source, -((source.Width - Size) / 2), -((source.Height - Size) / 2)); // whole-pixel offset: an exact copy
            paths[n] = Path.Combine(folder, $"photo-{n:D2}.png");
            using var image = SKImage.FromBitmap(crop);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(paths[n]);
            data.SaveTo(file);
        }

        return paths;
    }

    /// <summary>One photo written by <see cref="WritePhotoPngs"/>.</summary>
    public static string WritePhotoPng(string folder) => WritePhotoPngs(folder, 1)[0];
}
