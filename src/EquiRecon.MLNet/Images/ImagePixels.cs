using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Images;

/// <summary>
/// Reads <see cref="MLImage"/> pixels into the float layout EquiRecon's encoders take:
/// channels-first RGB, <c>(3, H, W)</c> flattened, each value <c>(byte / 255 - mean[c]) / std[c]</c>.
/// </summary>
internal static class ImagePixels
{
    /// <summary>Number of colour channels written (R, G, B; alpha is dropped).</summary>
    public const int Channels = 3;

    /// <summary>
    /// Writes <paramref name="image"/> into <paramref name="destination"/> as normalized CHW RGB floats.
    /// </summary>
    /// <param name="image">A 4-byte-per-pixel image (<see cref="MLPixelFormat.Bgra32"/> or <see cref="MLPixelFormat.Rgba32"/>).</param>
    /// <param name="mean">Per-channel mean (R, G, B) in [0, 1] units.</param>
    /// <param name="std">Per-channel standard deviation (R, G, B), positive.</param>
    /// <param name="destination">Receives <c>3 · H · W</c> values, shape <c>(3, H, W)</c>.</param>
    /// <exception cref="ArgumentException">The destination has the wrong length or the mean/std do not have 3 values.</exception>
    /// <exception cref="NotSupportedException">The image's pixel format is neither Bgra32 nor Rgba32.</exception>
    public static void ToNormalizedChw(MLImage image, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (mean.Length != Channels || std.Length != Channels)
            throw new ArgumentException($"Mean and std need {Channels} values (R, G, B), got {mean.Length} and {std.Length}.", nameof(mean));

        int height = image.Height, width = image.Width;
        int planeSize = height * width;
        if (destination.Length != Channels * planeSize)
            throw new ArgumentException($"The destination has {destination.Length} values; a {height}x{width} image needs (3, {height}, {width}) = {Channels * planeSize}.", nameof(destination));

        var (red, green, blue) = ChannelOffsets(image);
        ReadOnlySpan<byte> pixels = PackedPixels(image);

        // value = (b / 255 - mean) / std = b * scale + offset.
        Span<float> scale = stackalloc float[Channels];
        Span<float> offset = stackalloc float[Channels];
        for (int c = 0; c < Channels; c++)
        {
            scale[c] = 1f / (255f * std[c]);
            offset[c] = -mean[c] / std[c];
        }

        Span<float> r = destination[..planeSize];
        Span<float> g = destination.Slice(planeSize, planeSize);
        Span<float> b = destination.Slice(2 * planeSize, planeSize);
        for (int i = 0, p = 0; i < planeSize; i++, p += BytesPerPixel)
        {
            r[i] = (pixels[p + red] * scale[0]) + offset[0];
            g[i] = (pixels[p + green] * scale[1]) + offset[1];
            b[i] = (pixels[p + blue] * scale[2]) + offset[2];
        }
    }

    /// <summary>
    /// Writes <paramref name="image"/> into <paramref name="destination"/> as raw channels-first RGB bytes in [0, 255],
    /// shape <c>(3, H, W)</c> (the layout of a uint8 image tensor; alpha is dropped).
    /// </summary>
    /// <param name="image">A 4-byte-per-pixel image (<see cref="MLPixelFormat.Bgra32"/> or <see cref="MLPixelFormat.Rgba32"/>).</param>
    /// <param name="destination">Receives <c>3 · H · W</c> bytes, shape <c>(3, H, W)</c>.</param>
    /// <exception cref="ArgumentException">The destination has the wrong length.</exception>
    /// <exception cref="NotSupportedException">The image's pixel format is neither Bgra32 nor Rgba32.</exception>
    public static void ToChwBytes(MLImage image, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int height = image.Height, width = image.Width;
        int planeSize = height * width;
        if (destination.Length != Channels * planeSize)
            throw new ArgumentException($"The destination has {destination.Length} bytes; a {height}x{width} image needs (3, {height}, {width}) = {Channels * planeSize}.", nameof(destination));

        var (red, green, blue) = ChannelOffsets(image);
        ReadOnlySpan<byte> pixels = PackedPixels(image);
        Span<byte> r = destination[..planeSize];
        Span<byte> g = destination.Slice(planeSize, planeSize);
        Span<byte> b = destination.Slice(2 * planeSize, planeSize);
        for (int i = 0, p = 0; i < planeSize; i++, p += BytesPerPixel)
        {
            r[i] = pixels[p + red];
            g[i] = pixels[p + green];
            b[i] = pixels[p + blue];
        }
    }

    /// <summary>
    /// Whether <paramref name="image"/> has been disposed. ML.NET's <c>ResizeImages</c> getter disposes the image passed to it
    /// and, for a row without an image, hands that disposed image back instead of <see langword="null"/>: readers treat a
    /// disposed image as missing.
    /// </summary>
    public static bool IsDisposed(MLImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        try
        {
            _ = image.Width;
            return false;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private const int BytesPerPixel = 4;

    /// <summary>Byte offsets of red, green and blue inside a pixel of <paramref name="image"/>.</summary>
    private static (int Red, int Green, int Blue) ChannelOffsets(MLImage image) => image.PixelFormat switch
    {
        MLPixelFormat.Bgra32 => (2, 1, 0),
        MLPixelFormat.Rgba32 => (0, 1, 2),
        _ => throw new NotSupportedException($"Image pixel format {image.PixelFormat} is not supported: EquiRecon reads Bgra32 or Rgba32 images."),
    };

    /// <summary>The pixel bytes of <paramref name="image"/>, checked to be tightly packed 4-byte pixels.</summary>
    private static ReadOnlySpan<byte> PackedPixels(MLImage image)
    {
        ReadOnlySpan<byte> pixels = image.Pixels;
        int expected = image.Height * image.Width * BytesPerPixel;
        if (pixels.Length != expected)
            throw new NotSupportedException($"The {image.Height}x{image.Width} image has {pixels.Length} pixel bytes; EquiRecon reads tightly packed 4-byte pixels ({expected} bytes).");
        return pixels;
    }
}
