using System.Globalization;
using SkiaSharp;
using static TorchSharp.torch;
using static TorchSharp.torchvision.io;

namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// The one path by which an image file is decoded (<see cref="ImageFolder"/>, and the CLI's CamVid reader for its size check):
/// the size is read from the header with SkiaSharp's codec first, an image of more than the caller's pixel limit
/// (default <see cref="ImageFolder.DefaultMaxImagePixels"/>) is refused before anything its header claims is allocated,
/// and the image is then decoded once, by the codec, into a tensor (a JPEG at a reduced scale when the target side is
/// small, see <see cref="ScaledDecodeMargin"/>). Every failure is an <see cref="InvalidDataException"/> naming the file and
/// the reason.
/// </summary>
internal static class ImageFile
{
    /// <summary>
    /// A JPEG is decoded at 1/8, 1/4, 3/8 or 1/2 of its size (the smallest such scale; libjpeg's DCT scaling) when its shorter
    /// side stays at least this many times the target side, so the antialiased resize after it still averages at least
    /// this many decoded pixels per output pixel. Images at most about 8 times the target (e.g. Imagenette's 160 px at 64)
    /// are decoded at full size, as before.
    /// </summary>
    public const int ScaledDecodeMargin = 4;

    /// <summary>
    /// The width and height in <paramref name="path"/>'s header, checked against <paramref name="maxPixels"/>; nothing is decoded.
    /// </summary>
    /// <exception cref="InvalidDataException">The file cannot be read, is not an image SkiaSharp recognises, declares no
    /// size, or has more than <paramref name="maxPixels"/> pixels; the message names the file (and the size).</exception>
    public static (int Width, int Height) ReadSize(string path, long maxPixels)
    {
        using var stream = Open(path);
        using var codec = CreateCodec(path, stream);
        return CheckSize(path, codec, maxPixels);
    }

    /// <summary>
    /// Decodes one file to uint8 RGB <c>(3, H, W)</c> (grayscale becomes three equal channels, alpha is dropped after
    /// premultiplying, as TorchVision's SkiaSharp imager does). With <paramref name="targetSide"/>, a large JPEG may be
    /// decoded at a reduced scale (<see cref="ScaledDecodeMargin"/>); the caller resizes to the target either way.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <param name="targetSide">The side the image will be resized to, when it will be.</param>
    /// <param name="maxPixels">Largest width × height accepted, read from the header before decoding.</param>
    /// <param name="imager">
    /// The decoder: <see langword="null"/> for SkiaSharp's codec (the default); otherwise an application's
    /// <c>torchvision.io.DefaultImager</c>, used after the size check when SkiaSharp recognises the format.
    /// </param>
    /// <exception cref="InvalidDataException">The file cannot be read or decoded completely, or is too large; the message names the file and the reason.</exception>
    public static Tensor Decode(string path, int? targetSide, long maxPixels, Imager? imager)
    {
        if (imager is not null)
            return DecodeWith(imager, path, maxPixels);
        using var stream = Open(path);
        using var codec = CreateCodec(path, stream);
        CheckSize(path, codec, maxPixels);
        var size = DecodeSize(codec, targetSide);
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Bgra8888,
            codec.Info.AlphaType == SKAlphaType.Opaque ? SKAlphaType.Opaque : SKAlphaType.Premul);
        using var scope = NewDisposeScope();
        var bgra = empty([size.Height, size.Width, 4], ScalarType.Byte);
        SKCodecResult result;
        unsafe
        {
            fixed (byte* pixels = bgra.bytes)
                result = codec.GetPixels(info, (IntPtr)pixels);
        }
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"Image '{path}' could not be decoded: {Reason(result)}.");
        using var rgbOrder = tensor(new long[] { 2, 1, 0 });
        return bgra.index_select(2, rgbOrder).permute(2, 0, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>An application's imager: the size is checked from the header when SkiaSharp recognises the format (the imager may read others).</summary>
    private static Tensor DecodeWith(Imager imager, string path, long maxPixels)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Image '{path}' could not be read: {e.Message}", e);
        }
        using (var header = new MemoryStream(bytes, writable: false))
        using (var codec = SKCodec.Create(header))
        {
            if (codec is not null)
                CheckSize(path, codec, maxPixels);
        }
        Tensor image;
        try
        {
            image = imager.DecodeImage(bytes, ImageReadMode.RGB);
        }
#pragma warning disable CA1031 // Decoders throw anything (SkiaSharp returns null bitmaps → NullReferenceException); report the file.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw new InvalidDataException($"Image '{path}' could not be decoded: {e.GetType().Name}: {e.Message}", e);
        }
        if (image.dtype != ScalarType.Byte || image.ndim != 3 || image.shape[0] != 3)
        {
            var (dtype, shape) = (image.dtype, TensorShapes.Shape(image));
            image.Dispose();
            throw new InvalidDataException($"Image '{path}' decoded to {dtype} of shape {shape}, expected uint8 (3, H, W).");
        }
        return image;
    }

    private static FileStream Open(string path)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Image '{path}' could not be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// SkiaSharp's codec over the file (it reads the header only). <c>SKBitmap.Decode</c>, what TorchVision's imager calls,
    /// returns null without a reason for an unknown format and accepts a truncated file with the missing rows left blank;
    /// the codec gives the reason.
    /// </summary>
    private static SKCodec CreateCodec(string path, Stream stream) =>
        SKCodec.Create(stream, out var created)
        ?? throw new InvalidDataException($"Image '{path}' could not be decoded: SkiaSharp does not recognise it as an image ({Reason(created)}).");

    private static (int Width, int Height) CheckSize(string path, SKCodec codec, long maxPixels)
    {
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if (width <= 0 || height <= 0)
            throw new InvalidDataException($"Image '{path}' could not be decoded: it declares a size of {width}×{height}.");
        if ((long)width * height > maxPixels)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Image '{path}' is {width}×{height} pixels ({Pixels((long)width * height)}), more than the limit of {Pixels(maxPixels)}; it was not decoded. Shrink it, leave it out, or raise the limit (maxImagePixels)."));
        return (width, height);
    }

    /// <summary>The size to decode at: the smallest JPEG scale that keeps the shorter side at least <see cref="ScaledDecodeMargin"/> × the target, else the full size.</summary>
    private static SKSizeI DecodeSize(SKCodec codec, int? targetSide)
    {
        var full = codec.Info.Size;
        if (targetSide is not { } side || codec.EncodedFormat != SKEncodedImageFormat.Jpeg)
            return full;
        var needed = (long)ScaledDecodeMargin * side;
        for (var eighths = 1; eighths <= 4; eighths++)
        {
            var scaled = codec.GetScaledDimensions(eighths / 8f);
            if (Math.Min(scaled.Width, scaled.Height) >= needed && scaled.Width < full.Width && scaled.Height < full.Height)
                return scaled;
        }
        return full;
    }

    private static string Pixels(long pixels) => pixels >= 10_000
        ? (pixels / 1e6).ToString("0.##", CultureInfo.InvariantCulture) + " megapixels"
        : pixels.ToString(CultureInfo.InvariantCulture) + " pixels";

    private static string Reason(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated (SkiaSharp: IncompleteInput)",
        SKCodecResult.ErrorInInput => "the file is corrupt (SkiaSharp: ErrorInInput)",
        SKCodecResult.InvalidInput => "SkiaSharp: InvalidInput",
        SKCodecResult.Unimplemented => "an unsupported format (SkiaSharp: Unimplemented)",
        _ => "SkiaSharp: " + result,
    };
}
