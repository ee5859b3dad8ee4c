using System.Collections.Concurrent;
using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using SkiaSharp;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torchvision.io;

namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Reader of the "image folder" layout: <c>root/&lt;class&gt;/&lt;image&gt;</c>, one subfolder per class (classes and
/// files sorted by ordinal name, label = class index). Images are decoded once, in parallel, with
/// TorchVision's <c>torchvision.io.read_image</c> into one preallocated uint8 tensor <c>(N, 3, H, W)</c>; grayscale
/// images become three equal channels and an alpha channel is dropped. With the built-in SkiaSharp decoder every image
/// is first checked with SkiaSharp's codec, so that a truncated file is an error naming the file and the codec's reason
/// (<c>IncompleteInput</c>) rather than an image with grey or black rows.
/// </summary>
public static class ImageFolder
{
    /// <summary>File extensions read (case-insensitive); other files are ignored.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    private static readonly Lazy<Imager> Skia = new(() => new SkiaImager());

    /// <summary>Reads every image below <paramref name="root"/>.</summary>
    /// <param name="root">The folder with one subfolder per class.</param>
    /// <param name="imageSize">
    /// When given, every image is resized (bilinear with antialiasing) so that its shorter side is
    /// <paramref name="imageSize"/> and then centre-cropped to <c>imageSize × imageSize</c>. When null (default)
    /// all images must have the same size.
    /// </param>
    /// <param name="limitPerClass">When given, at most this many images per class (the first in ordinal order).</param>
    /// <param name="maxDegreeOfParallelism">Decoding threads; null (default) for the processor count.</param>
    /// <param name="skipped">
    /// When given, images that cannot be read or decoded are left out and their paths added here (in file order);
    /// when null (default), the first such image stops reading with an <see cref="InvalidDataException"/> naming it.
    /// </param>
    /// <returns>uint8 images <c>(N, 3, H, W)</c>, int64 labels <c>(N)</c> and the class (subfolder) names.</returns>
    /// <remarks>
    /// Decoding uses <c>torchvision.io.DefaultImager</c> when the application has set one, otherwise TorchVision's
    /// SkiaSharp imager; the global default is never changed.
    /// </remarks>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, a class without images, an image that does not decode (unless
    /// <paramref name="skipped"/> is given; then: no image decodes), or mixed sizes without <paramref name="imageSize"/>; the message names the folder or file.</exception>
    public static ImageDataset Read(string root, int? imageSize = null, int? limitPerClass = null, int? maxDegreeOfParallelism = null, ICollection<string>? skipped = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (imageSize is { } size)
            ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(imageSize));
        if (limitPerClass is { } limit)
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(limitPerClass));
        if (maxDegreeOfParallelism is { } degree)
            ArgumentOutOfRangeException.ThrowIfLessThan(degree, 1, nameof(maxDegreeOfParallelism));
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder root '{root}' does not exist. Expected one subfolder per class: root/<class>/<image>.");
        TorchNative.EnsureLoaded();

        var (classNames, files) = ListFiles(root, limitPerClass);
        return Decode(files, classNames, imageSize, maxDegreeOfParallelism, root, skipped);
    }

    /// <summary>Decodes <paramref name="files"/> in parallel into one dataset (shared by the folder readers); see <see cref="Read"/> for <paramref name="skipped"/>.</summary>
    internal static ImageDataset Decode(IReadOnlyList<(string Path, int Label)> files, IReadOnlyList<string> classNames,
        int? imageSize, int? maxDegreeOfParallelism, string root, ICollection<string>? skipped = null)
    {
        var imager = DefaultImager is NotImplementedImager ? Skia.Value : DefaultImager;
        var unreadable = new ConcurrentDictionary<int, string>();

        // The first (readable) image fixes the size when no size is requested.
        long height = 0, width = 0;
        if (imageSize is { } s)
        {
            (height, width) = (s, s);
        }
        else
        {
            for (var i = 0; i < files.Count && height == 0; i++)
            {
                try
                {
                    using var first = Decode(files[i].Path, imager);
                    (height, width) = (first.shape[1], first.shape[2]);
                }
                catch (InvalidDataException) when (skipped is not null)
                {
                    unreadable[i] = files[i].Path;
                }
            }
            if (height == 0)
                throw new InvalidDataException($"None of the {files.Count} images in '{root}' could be decoded; the first is '{files[0].Path}'.");
        }

        var images = empty([files.Count, 3, height, width], ScalarType.Byte);
        Exception? failure = null;
        var sizeOf = files.Select(f => f.Path).FirstOrDefault(p => !unreadable.Values.Contains(p)) ?? files[0].Path;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism ?? Environment.ProcessorCount };
        Parallel.For(0, files.Count, parallel, (i, state) =>
        {
            if (unreadable.ContainsKey(i))
                return;
            Tensor image;
            using var scope = NewDisposeScope();
            try
            {
                image = Decode(files[i].Path, imager);
            }
            catch (InvalidDataException) when (skipped is not null)
            {
                unreadable[i] = files[i].Path;
                return;
            }
            catch (Exception e) when (e is InvalidDataException)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                state.Stop();
                return;
            }
            try
            {
                if (imageSize is { } side)
                    image = ResizeAndCrop(image, side);
                else if (image.shape[1] != height || image.shape[2] != width)
                    throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                        $"Image '{files[i].Path}' is {image.shape[2]}×{image.shape[1]} but '{sizeOf}' is {width}×{height}; pass an imageSize to resize them to one size."));
                images[i].copy_(image);
            }
            catch (InvalidDataException e)
            {
                Interlocked.CompareExchange(ref failure, e, null);
                state.Stop();
            }
        });
        if (failure is not null)
        {
            images.Dispose();
            throw failure;
        }

        var labels = tensor(files.Select(f => (long)f.Label).ToArray());
        if (unreadable.IsEmpty)
            return new ImageDataset(images, labels, classNames);
        if (unreadable.Count == files.Count)
        {
            images.Dispose();
            labels.Dispose();
            throw new InvalidDataException($"None of the {files.Count} images in '{root}' could be decoded; the first is '{files[0].Path}'.");
        }
        foreach (var (_, path) in unreadable.OrderBy(kv => kv.Key))
            skipped!.Add(path);
        using var keep = tensor(Enumerable.Range(0, files.Count).Where(i => !unreadable.ContainsKey(i)).Select(i => (long)i).ToArray());
        using (images)
        using (labels)
            return new ImageDataset(images.index_select(0, keep), labels.index_select(0, keep), classNames);
    }

    private static (string[] ClassNames, List<(string Path, int Label)> Files) ListFiles(string root, int? limitPerClass)
    {
        var classDirs = Directory.GetDirectories(root).OrderBy(d => Path.GetFileName(d), StringComparer.Ordinal).ToArray();
        if (classDirs.Length == 0)
            throw new InvalidDataException($"Image folder root '{root}' has no class subfolders. Expected one subfolder per class: root/<class>/<image>.");
        var files = new List<(string, int)>();
        for (var label = 0; label < classDirs.Length; label++)
        {
            var images = Directory.EnumerateFiles(classDirs[label])
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
                .Take(limitPerClass ?? int.MaxValue)
                .ToArray();
            if (images.Length == 0)
                throw new InvalidDataException($"Class folder '{classDirs[label]}' has no images (extensions {string.Join(", ", Extensions)}).");
            files.AddRange(images.Select(f => (f, label)));
        }
        return (classDirs.Select(d => Path.GetFileName(d)).ToArray(), files);
    }

    /// <summary>Decodes one file to uint8 <c>(3, H, W)</c>; any failure is an <see cref="InvalidDataException"/> naming the file and the reason.</summary>
    private static Tensor Decode(string path, Imager imager)
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
        if (imager is SkiaImager)
            CheckWithSkia(path, bytes);
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

    /// <summary>
    /// Decodes <paramref name="bytes"/> with SkiaSharp's codec and throws unless it succeeds completely: SkiaSharp's
    /// <c>SKBitmap.Decode</c> (what TorchVision's imager calls) returns null without a reason for an unknown format and
    /// accepts a truncated file (<c>IncompleteInput</c>) with the missing rows left blank.
    /// </summary>
    private static void CheckWithSkia(string path, byte[] bytes)
    {
        using var stream = new MemoryStream(bytes, writable: false);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null)
            throw new InvalidDataException($"Image '{path}' could not be decoded: SkiaSharp does not recognise it as an image ({Reason(created)}).");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        if (info.Width <= 0 || info.Height <= 0)
            throw new InvalidDataException($"Image '{path}' could not be decoded: it declares a size of {info.Width}×{info.Height}.");
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"Image '{path}' could not be decoded: {Reason(result)}.");
    }

    private static string Reason(SKCodecResult result) => result switch
    {
        SKCodecResult.IncompleteInput => "the file is truncated (SkiaSharp: IncompleteInput)",
        SKCodecResult.ErrorInInput => "the file is corrupt (SkiaSharp: ErrorInInput)",
        SKCodecResult.InvalidInput => "SkiaSharp: InvalidInput",
        SKCodecResult.Unimplemented => "an unsupported format (SkiaSharp: Unimplemented)",
        _ => "SkiaSharp: " + result,
    };

    /// <summary>Resizes the shorter side to <paramref name="side"/> (bilinear, antialiased) and centre-crops to a square.</summary>
    internal static Tensor ResizeAndCrop(Tensor image, int side)
    {
        var (h, w) = (image.shape[1], image.shape[2]);
        if (h == side && w == side)
            return image;
        var scale = (double)side / Math.Min(h, w);
        var newH = Math.Max(side, (long)Math.Round(h * scale));
        var newW = Math.Max(side, (long)Math.Round(w * scale));
        var resized = nn.functional.interpolate(image.unsqueeze(0).to(ScalarType.Float32), [newH, newW],
            mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
        return resized.squeeze(0)
            .narrow(1, (newH - side) / 2, side)
            .narrow(2, (newW - side) / 2, side)
            .round().clamp(0, 255).to(ScalarType.Byte);
    }
}
