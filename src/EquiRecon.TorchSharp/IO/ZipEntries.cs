using System.IO.Compression;

namespace EquiRecon.TorchSharp.IO;

/// <summary>Reading and writing the entries of EquiRecon's zip-based files (model files, checkpoints).</summary>
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

    /// <exception cref="ModelFileException">The entry is missing.</exception>
    public static byte[] Read(ZipArchive zip, string path, string name)
    {
        var entry = zip.GetEntry(name) ?? throw new ModelFileException($"{path} has no '{name}' entry: it is not a complete EquiRecon file.");
        using var s = entry.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }
}
