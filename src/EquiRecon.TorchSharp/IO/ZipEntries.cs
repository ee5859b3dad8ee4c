using System.IO.Compression;
using System.IO.Hashing;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// Reading and writing the entries of EquiRecon's zip-based files (model files, checkpoints). Reading never inflates
/// more than a limit the caller derives from what it expects, checks the entry's CRC-32 and its declared length, and
/// refuses archives holding an entry name twice or names it does not know.
/// </summary>
internal static class ZipEntries
{
    public static void Write(ZipArchive zip, string name, Action<Stream> write, CompressionLevel level = CompressionLevel.NoCompression)
    {
        var entry = zip.CreateEntry(name, level);
        using var s = entry.Open();
        write(s);
    }

    public static void Write(ZipArchive zip, string name, byte[] bytes, CompressionLevel level = CompressionLevel.NoCompression) =>
        Write(zip, name, s => s.Write(bytes), level);

    /// <summary>Refuses an archive with more entries than <paramref name="allowed"/>, a name outside it, or a name twice.</summary>
    /// <exception cref="ModelFileException">The archive's entries are not the expected ones; the message names <paramref name="source"/>.</exception>
    public static void CheckNames(ZipArchive zip, string source, IReadOnlyCollection<string> allowed)
    {
        if (zip.Entries.Count > allowed.Count)
            throw new ModelFileException($"{source} has {zip.Entries.Count} zip entries; an EquiRecon file of this kind has at most {allowed.Count} ({string.Join(", ", allowed)}).");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in zip.Entries)
        {
            if (!allowed.Contains(entry.FullName))
                throw new ModelFileException($"{source} has an unexpected zip entry '{entry.FullName}'; expected only {string.Join(", ", allowed)}.");
            if (!seen.Add(entry.FullName))
                throw new ModelFileException($"{source} holds the zip entry '{entry.FullName}' twice; the file is corrupt or was tampered with.");
        }
    }

    /// <summary>Reads the entry <paramref name="name"/>, at most <paramref name="maxBytes"/> bytes, and checks its length and CRC-32.</summary>
    /// <exception cref="ModelFileException">The entry is missing, larger than <paramref name="maxBytes"/>, shorter or longer than its
    /// declared length, or its CRC-32 differs; the message names <paramref name="source"/> and the entry.</exception>
    /// <exception cref="InvalidDataException">The zip cannot be read (the caller wraps it with its file's name).</exception>
    public static byte[] Read(ZipArchive zip, string source, string name, long maxBytes)
    {
        var entry = zip.GetEntry(name) ?? throw new ModelFileException($"{source} has no '{name}' entry: it is not a complete EquiRecon file.");
        if (entry.Length < 0 || entry.Length > maxBytes)
            throw new ModelFileException($"{source}: the entry '{name}' declares {entry.Length} bytes, more than the {maxBytes} this file can hold.");
        var buffer = new byte[entry.Length];
        using (var s = entry.Open())
        {
            var read = 0;
            while (read < buffer.Length)
            {
                var n = s.Read(buffer, read, buffer.Length - read);
                if (n == 0)
                    throw new ModelFileException($"{source}: the entry '{name}' ends after {read} of its {buffer.Length} bytes (truncated).");
                read += n;
            }
            Span<byte> probe = stackalloc byte[1];
            if (s.Read(probe) != 0)
                throw new ModelFileException($"{source}: the entry '{name}' holds more than its declared {buffer.Length} bytes.");
        }
        var crc = Crc32.HashToUInt32(buffer);
        if (crc != entry.Crc32)
            throw new ModelFileException($"{source}: the entry '{name}' fails its CRC-32 check (stored {entry.Crc32:x8}, computed {crc:x8}); the file is corrupt.");
        return buffer;
    }
}
