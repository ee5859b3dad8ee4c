using System.IO.Compression;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>Damages a saved ML.NET model zip the way the integrity tests need: rewrites one of its binary streams.</summary>
internal static class SavedModelZip
{
    /// <summary>The featurizer's stream: an 8-byte blob header (magic, byte count), then the model file.</summary>
    public const string EncoderModelStream = "EncoderModel";

    /// <summary>Replaces the bytes of the entry whose name ends in <c>/<paramref name="stream"/></c> with <paramref name="change"/>'s result.</summary>
    public static void Rewrite(string zip, string stream, Action<byte[]> change)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith("/" + stream, StringComparison.Ordinal));
        var name = entry.FullName;
        byte[] bytes;
        using (var source = entry.Open())
        using (var copy = new MemoryStream())
        {
            source.CopyTo(copy);
            bytes = copy.ToArray();
        }

        change(bytes);
        entry.Delete();
        using var replaced = archive.CreateEntry(name).Open();
        replaced.Write(bytes);
    }
}
