using SkiaSharp;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>Test images and the reference computation the transformer's output is checked against.</summary>
internal static class TestImages
{
    /// <summary>
    /// Writes <paramref name="count"/> deterministic <paramref name="height"/>×<paramref name="width"/> RGB PNG files
    /// (lossless, so their decoded pixels are exactly the generated ones) and returns their paths.
    /// </summary>
    public static string[] WriteSyntheticPngs(string folder, int count, int height = 32, int width = 32)
    {
        var paths = new string[count];
        for (int n = 0; n < count; n++)
        {
            using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    // Distinct per channel, row, column and image, covering 0..255.
                    byte r = (byte)((x * 8) + n);
                    byte g = (byte)((y * 8) + (3 * n));
                    byte b = (byte)((x * y) + (7 * n));
                    bitmap.SetPixel(x, y, new SKColor(r, g, b));
                }
            }

            paths[n] = Path.Combine(folder, $"synthetic-{n:D2}.png");
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Png, 100);
            using var file = File.Create(paths[n]);
            data.SaveTo(file);
        }

        return paths;
    }

    /// <summary>
    /// The expected transformer output for an image file, computed independently: SkiaSharp decodes the file,
    /// and each value is <c>(pixel / 255 - mean[c]) / std[c]</c> in double precision, laid out <c>(3, H, W)</c>.
    /// </summary>
    public static float[] ExpectedPixels(string path, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        using var bitmap = SKBitmap.Decode(path);
        bitmap.Should().NotBeNull($"SkiaSharp decodes {path}");
        int h = bitmap.Height, w = bitmap.Width;
        var result = new float[3 * h * w];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                var color = bitmap.GetPixel(x, y);
                result[(0 * h * w) + (y * w) + x] = Normalize(color.Red, mean[0], std[0]);
                result[(1 * h * w) + (y * w) + x] = Normalize(color.Green, mean[1], std[1]);
                result[(2 * h * w) + (y * w) + x] = Normalize(color.Blue, mean[2], std[2]);
            }
        }

        return result;
    }

    public static float Normalize(byte value, float mean, float std) => (float)(((value / 255.0) - mean) / std);
}
