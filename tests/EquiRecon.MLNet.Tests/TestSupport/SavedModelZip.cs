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

    /// <summary>Renames the entry whose name ends in <c>/<paramref name="stream"/></c> to end in <c>/<paramref name="newName"/></c>.</summary>
    public static void RenameStream(string zip, string stream, string newName)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => e.FullName.EndsWith("/" + stream, StringComparison.Ordinal));
        var name = entry.FullName[..^stream.Length] + newName;
        byte[] bytes;
        using (var source = entry.Open())
        using (var copy = new MemoryStream())
        {
            source.CopyTo(copy);
            bytes = copy.ToArray();
        }

        entry.Delete();
        using var renamed = archive.CreateEntry(name).Open();
        renamed.Write(bytes);
    }

    /// <summary>
    /// Sets the version written and the version readable of the component saved with <paramref name="modelSignature"/> (the
    /// eight ASCII characters of its <c>VersionInfo</c>): ML.NET's model header stores the signature, then those two
    /// 32-bit versions, so a model file of an earlier version can be made from a current one.
    /// </summary>
    public static void SetModelVersion(string zip, string modelSignature, uint written, uint readable)
    {
        byte[] signature = System.Text.Encoding.ASCII.GetBytes(modelSignature);
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        int found = 0;
        foreach (var entry in archive.Entries.Where(e => e.FullName.EndsWith("Model.key", StringComparison.Ordinal)).ToArray())
        {
            byte[] bytes;
            using (var source = entry.Open())
            using (var copy = new MemoryStream())
            {
                source.CopyTo(copy);
                bytes = copy.ToArray();
            }

            int at = bytes.AsSpan(0, Math.Min(bytes.Length, 0x100)).IndexOf(signature);
            if (at < 0)
                continue;
            BitConverter.TryWriteBytes(bytes.AsSpan(at + 8, 4), written);
            BitConverter.TryWriteBytes(bytes.AsSpan(at + 12, 4), readable);
            var name = entry.FullName;
            entry.Delete();
            using var replaced = archive.CreateEntry(name).Open();
            replaced.Write(bytes);
            found++;
        }

        if (found != 1)
            throw new InvalidOperationException($"Expected one component saved as '{modelSignature}' in {zip}; found {found}.");
    }
}
