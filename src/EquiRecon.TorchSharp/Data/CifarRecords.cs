using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Data;

/// <summary>Reads files of fixed-size CIFAR records (label bytes followed by 3072 bytes of R, G, B planes, 32×32 row-major).</summary>
internal static class CifarRecords
{
    public const int Side = 32;
    public const int ImageBytes = 3 * Side * Side;

    /// <summary>The directory holding <paramref name="firstFile"/>: <paramref name="directory"/> itself or its official tarball subfolder.</summary>
    public static string Resolve(string directory, string firstFile, string tarballFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!File.Exists(Path.Combine(directory, firstFile)) && File.Exists(Path.Combine(directory, tarballFolder, firstFile)))
            return Path.Combine(directory, tarballFolder);
        return directory;
    }

    /// <summary>Reads all records of <paramref name="files"/> (in order) into one dataset.</summary>
    /// <param name="files">The files.</param>
    /// <param name="labelBytes">Label bytes before each image (1 for CIFAR-10; 2 for CIFAR-100: coarse, fine).</param>
    /// <param name="labelIndex">Which label byte is the label.</param>
    /// <param name="classNames">The class names; every label must index into them.</param>
    /// <param name="layout">Describes the expected layout for error messages.</param>
    public static ImageDataset Read(IReadOnlyList<string> files, int labelBytes, int labelIndex, IReadOnlyList<string> classNames, string layout)
    {
        ArgumentNullException.ThrowIfNull(files);
        if (files.Count == 0)
            throw new ArgumentException("At least one file is needed.", nameof(files));
        TorchNative.EnsureLoaded();
        var recordSize = labelBytes + ImageBytes;
        var lengths = new long[files.Count];
        for (var f = 0; f < files.Count; f++)
        {
            var file = files[f];
            if (!File.Exists(file))
                throw new FileNotFoundException($"CIFAR file '{file}' was not found. Expected {layout}.", file);
            lengths[f] = new FileInfo(file).Length;
            if (lengths[f] == 0 || lengths[f] % recordSize != 0)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"CIFAR file '{file}' has {lengths[f]} bytes, which is not a positive multiple of the {recordSize}-byte record. Expected {layout}."));
        }
        var total = lengths.Sum();
        if (total > Array.MaxLength)
            throw new InvalidDataException($"The CIFAR files hold {total} bytes, more than one read can hold; read fewer files at a time.");

        var buffer = new byte[total];
        long offset = 0;
        for (var f = 0; f < files.Count; f++)
        {
            using (var stream = File.OpenRead(files[f]))
                stream.ReadExactly(buffer, (int)offset, (int)lengths[f]);
            CheckLabels(buffer.AsSpan((int)offset, (int)lengths[f]), recordSize, labelIndex, classNames.Count, files[f], layout);
            offset += lengths[f];
        }

        var count = total / recordSize;
        using var scope = NewDisposeScope();
        var raw = tensor(buffer, [count, recordSize]);
        var labels = raw.select(1, labelIndex).to(ScalarType.Int64);
        var images = raw.narrow(1, labelBytes, ImageBytes).contiguous().view(count, 3, Side, Side);
        return new ImageDataset(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), classNames);
    }

    /// <summary>Reads newline-separated class names from <paramref name="file"/> when it exists and lists as many names as <paramref name="fallback"/>; otherwise <paramref name="fallback"/>.</summary>
    public static IReadOnlyList<string> ClassNames(string file, IReadOnlyList<string> fallback)
    {
        if (!File.Exists(file))
            return fallback;
        var names = File.ReadAllLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length == fallback.Count ? names : fallback;
    }

    private static void CheckLabels(ReadOnlySpan<byte> records, int recordSize, int labelIndex, int classes, string file, string layout)
    {
        for (int r = 0, at = labelIndex; at < records.Length; r++, at += recordSize)
        {
            if (records[at] >= classes)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"CIFAR file '{file}', record {r}: label {records[at]} is not below {classes}. Expected {layout}."));
        }
    }
}
