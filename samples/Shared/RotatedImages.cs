using Microsoft.ML.Data;
using SkiaSharp;

namespace EquiRecon.Samples;

/// <summary>Writes rotated copies of images, the way the rotation probe's training rotates them.</summary>
internal static class RotatedImages
{
    /// <summary>
    /// Rotates the image at <paramref name="source"/> counter-clockwise by <paramref name="degrees"/> about its centre
    /// (black corners, bilinear), as the probe's training does, and writes it as PNG to <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="InvalidDataException">The source image cannot be decoded.</exception>
    public static void Write(string source, string destination, float degrees)
    {
        using var input = SKBitmap.Decode(source) ?? throw new InvalidDataException($"Cannot decode image {source}.");
        using var output = new SKBitmap(input.Width, input.Height);
        using (var canvas = new SKCanvas(output))
        {
            canvas.Clear(SKColors.Black);
            canvas.RotateDegrees(-degrees, input.Width / 2f, input.Height / 2f); // Skia turns clockwise on screen for positive angles
            using var paint = new SKPaint { FilterQuality = SKFilterQuality.Medium, IsAntialias = true };
            canvas.DrawBitmap(input, 0, 0, paint);
        }
        using var data = output.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(destination, data.ToArray());
    }
}

/// <summary>An image file as written by <see cref="RotatedImages.Write"/>, with its class and the angle it was rotated by (0: upright).</summary>
internal sealed class RotatedRow
{
    /// <summary>Full path of the (rotated) image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Class name.</summary>
    public string Label { get; set; } = "";

    /// <summary>Counter-clockwise rotation in degrees.</summary>
    public float Angle { get; set; }
}

/// <summary>The rotation probe's output for a <see cref="RotatedRow"/>.</summary>
internal sealed class RotationEstimate
{
    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>The angle the image was rotated by.</summary>
    public float Angle { get; set; }

    /// <summary>The probe's estimate of that angle, degrees counter-clockwise.</summary>
    [VectorType(1)]
    public float[] RotationParameters { get; set; } = [];
}
