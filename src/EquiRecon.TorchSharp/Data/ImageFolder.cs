using System.Collections.Concurrent;
using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torchvision.io;

namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Reader of the "image folder" layout: <c>root/&lt;class&gt;/&lt;image&gt;</c>, one subfolder per class (classes and
/// files sorted by ordinal name, label = class index). Images are decoded once, in parallel, into one preallocated uint8
/// tensor <c>(N, 3, H, W)</c>; grayscale images become three equal channels and an alpha channel is dropped. Each file's
/// size is read from its header first and an image above the pixel limit is refused before it is decoded; a truncated
/// or undecodable file is an error naming the file and SkiaSharp's reason (<c>IncompleteInput</c>) rather than an image
/// with grey or black rows.
/// </summary>
public static class ImageFolder
{
    /// <summary>File extensions read (case-insensitive); other files are ignored.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp"];

    /// <summary>
    /// The default of <see cref="Read"/>'s <c>maxImagePixels</c>: 100 megapixels (e.g. 12,000 × 8,333), above what cameras and
    /// phones write; decoding one takes about 2.5 GB while it is resized. The one home of this default (the CLI's
    /// <c>--max-image-megapixels</c> reads it).
    /// </summary>
    public const long DefaultMaxImagePixels = 100_000_000;

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
    /// <param name="maxImagePixels">
    /// Largest width × height of an image (default <see cref="DefaultMaxImagePixels"/>), read from the file's header before
    /// it is decoded: a larger image is an <see cref="InvalidDataException"/> naming the file and its size (or, with
    /// <paramref name="skipped"/>, left out), so memory is bounded by this limit rather than by what a file claims.
    /// </param>
    /// <returns>uint8 images <c>(N, 3, H, W)</c>, int64 labels <c>(N)</c> and the class (subfolder) names.</returns>
    /// <remarks>
    /// Images are decoded by SkiaSharp's codec (the pixels TorchVision's SkiaSharp imager gives), a JPEG at a reduced scale
    /// when it is at least 8 times larger than <paramref name="imageSize"/>; an application that has set another
    /// <c>torchvision.io.DefaultImager</c> gets that one (after the size check, where SkiaSharp recognises the format).
    /// The global default is never changed.
    /// </remarks>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">No class folders, a class without images, an image that does not decode (unless
    /// <paramref name="skipped"/> is given; then: no image decodes), or mixed sizes without <paramref name="imageSize"/>; the message names the folder or file.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A size, limit or count is below 1.</exception>
    public static ImageDataset Read(string root, int? imageSize = null, int? limitPerClass = null, int? maxDegreeOfParallelism = null, ICollection<string>? skipped = null,
        long maxImagePixels = DefaultMaxImagePixels)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (imageSize is { } size)
            ArgumentOutOfRangeException.ThrowIfLessThan(size, 1, nameof(imageSize));
        if (limitPerClass is { } limit)
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1, nameof(limitPerClass));
        if (maxDegreeOfParallelism is { } degree)
            ArgumentOutOfRangeException.ThrowIfLessThan(degree, 1, nameof(maxDegreeOfParallelism));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxImagePixels, 1, nameof(maxImagePixels));
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder root '{root}' does not exist. Expected one subfolder per class: root/<class>/<image>.");
        TorchNative.EnsureLoaded();

        var (classNames, files) = ListFiles(root, limitPerClass);
        return Decode(files, classNames, imageSize, maxDegreeOfParallelism, root, skipped, maxImagePixels);
    }

    /// <summary>Decodes <paramref name="files"/> in parallel into one dataset (shared by the folder readers); see <see cref="Read"/> for <paramref name="skipped"/>.</summary>
    internal static ImageDataset Decode(IReadOnlyList<(string Path, int Label)> files, IReadOnlyList<string> classNames,
        int? imageSize, int? maxDegreeOfParallelism, string root, ICollection<string>? skipped = null, long maxImagePixels = DefaultMaxImagePixels)
    {
        // SkiaSharp's codec unless the application has set another imager.
        var imager = DefaultImager is NotImplementedImager or SkiaImager ? null : DefaultImager;
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
                    using var first = ImageFile.Decode(files[i].Path, targetSide: null, maxImagePixels, imager);
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
                image = ImageFile.Decode(files[i].Path, imageSize, maxImagePixels, imager);
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
