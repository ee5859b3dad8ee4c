using EquiRecon.TorchSharp.Data;
using static TorchSharp.torch;

namespace EquiRecon.Cli.Running;

/// <summary>
/// Reads the datasets the commands take: an image folder (<c>root/&lt;class&gt;/&lt;image&gt;</c>), a folder with
/// <c>train/</c> and <c>test/</c> image folders (the CIFAR-10 layout of the shared data), or a CIFAR-10 binary folder
/// (it contains <c>data_batch_1.bin</c>, directly or in <c>cifar-10-batches-bin/</c>). Counts are class-balanced.
/// </summary>
internal static class DataSources
{
    private const string CifarMarker = "data_batch_1.bin";

    /// <summary>True when <paramref name="dir"/> is a CIFAR-10 binary folder.</summary>
    public static bool IsCifarBinary(string dir) =>
        File.Exists(Path.Combine(dir, CifarMarker)) || File.Exists(Path.Combine(dir, Cifar10Binary.TarballFolder, CifarMarker));

    /// <summary>
    /// The pretraining images of <c>equirecon pretrain --data</c>: a CIFAR-10 binary folder (its training batches),
    /// a folder with a <c>train/</c> image folder, or an image folder. With <paramref name="skipped"/>, images that cannot
    /// be decoded or have more than <paramref name="maxImagePixels"/> pixels are left out and listed there (see <see cref="ImageFolder.Read"/>).
    /// </summary>
    public static ImageDataset ReadPretraining(string dir, int imageSize, int? limitPerClass, ICollection<string>? skipped = null,
        long maxImagePixels = ImageFolder.DefaultMaxImagePixels)
    {
        if (IsCifarBinary(dir))
            return Balanced(ReadCifarBinary(dir, train: true, imageSize), limitPerClass, count: null);
        var root = HasSplits(dir) ? Path.Combine(dir, "train") : dir;
        return ImageFolder.Read(root, imageSize, limitPerClass, skipped: skipped, maxImagePixels: maxImagePixels);
    }

    /// <summary>
    /// A split (<paramref name="train"/> or test) of a folder with <c>train/</c> and <c>test/</c> image folders, or of
    /// a CIFAR-10 binary folder; <paramref name="count"/> images class-balanced (null: all).
    /// </summary>
    public static ImageDataset ReadSplit(string dir, bool train, int imageSize, int? count)
    {
        if (IsCifarBinary(dir))
            return Balanced(ReadCifarBinary(dir, train, imageSize), limitPerClass: null, count);
        var name = train ? "train" : "test";
        var root = Path.Combine(dir, name);
        if (!Directory.Exists(root))
            throw new CliException($"Option '--data': '{dir}' has no '{name}/' folder. Expected '{name}/<class>/<image>' image folders (the CIFAR-10 layout) or a CIFAR-10 binary folder with {CifarMarker}.");
        int? perClass = null;
        if (count is int n)
        {
            var classes = Directory.GetDirectories(root).Length;
            if (classes == 0)
                throw new CliException($"Option '--data': '{root}' has no class folders.");
            perClass = (n + classes - 1) / classes;
        }
        return Balanced(ImageFolder.Read(root, imageSize, perClass), limitPerClass: null, count);
    }

    /// <summary>True when <paramref name="dir"/> has a <c>train/</c> folder with class subfolders.</summary>
    public static bool HasSplits(string dir)
    {
        var train = Path.Combine(dir, "train");
        return Directory.Exists(train) && Directory.GetDirectories(train).Length > 0;
    }

    /// <summary>
    /// At most <paramref name="limitPerClass"/> images per class and at most <paramref name="count"/> in all, as evenly
    /// spread over the classes as possible (the first images of each class). Returns <paramref name="data"/> when nothing is cut.
    /// </summary>
    public static ImageDataset Balanced(ImageDataset data, int? limitPerClass, int? count)
    {
        ArgumentNullException.ThrowIfNull(data);
        var labels = data.Labels.data<long>().ToArray();
        var seen = new Dictionary<long, int>();
        var ranked = new List<(int Rank, long Label, int Index)>(labels.Length);
        for (var i = 0; i < labels.Length; i++)
        {
            var rank = seen.TryGetValue(labels[i], out var r) ? r : 0;
            seen[labels[i]] = rank + 1;
            if (limitPerClass is int limit && rank >= limit)
                continue;
            ranked.Add((rank, labels[i], i));
        }
        var take = Math.Min(ranked.Count, count ?? int.MaxValue);
        if (take == labels.Length)
            return data;
        var chosen = ranked.OrderBy(x => x.Rank).ThenBy(x => x.Label).Take(take).Select(x => (long)x.Index).Order().ToArray();
        using var indices = tensor(chosen);
        var subset = data.Subset(indices);
        data.Dispose();
        return subset;
    }

    /// <summary>A seeded random subset of <paramref name="count"/> images (all when <paramref name="count"/> ≥ N), as a copy.</summary>
    public static ImageDataset RandomSubset(ImageDataset data, int count, long seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        var chosen = SeededPermutation(data.Count, seed).Take(Math.Min(count, data.Count)).Order().ToArray();
        using var indices = tensor(chosen);
        return data.Subset(indices);
    }

    /// <summary>
    /// A seeded split of <paramref name="data"/> into two disjoint copies: <paramref name="firstCount"/> random images
    /// and the rest (each in the original order).
    /// </summary>
    public static (ImageDataset First, ImageDataset Others) RandomSplit(ImageDataset data, int firstCount, long seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(firstCount);
        if (firstCount >= data.Count)
            throw new CliException($"Option '--data': {data.Count} images cannot be split into {firstCount} and at least one more.");
        var order = SeededPermutation(data.Count, seed);
        using var first = tensor(order.Take(firstCount).Order().ToArray());
        using var rest = tensor(order.Skip(firstCount).Order().ToArray());
        var a = data.Subset(first);
        try
        {
            return (a, data.Subset(rest));
        }
        catch
        {
            a.Dispose();
            throw;
        }
    }

    /// <summary>The seeded random order of <paramref name="count"/> indices that <see cref="RandomSubset"/> and <see cref="RandomSplit"/> draw from.</summary>
    private static long[] SeededPermutation(int count, long seed)
    {
        using var generator = new Generator((ulong)seed + 7919);
        using var permutation = randperm(count, generator: generator);
        return permutation.data<long>().ToArray();
    }

    private static ImageDataset ReadCifarBinary(string dir, bool train, int imageSize)
    {
        if (imageSize != 32)
            throw new CliException($"Option '--image-size': CIFAR-10 binary images are 32 px; got {imageSize}. Use --image-size 32 or an image folder.");
        return Cifar10Binary.Read(dir, train);
    }
}
