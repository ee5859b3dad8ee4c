using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace EquiRecon.TorchSharp.Tests;

/// <summary>
/// Builds zips entry by entry (valid CRCs), and model files whose hashes are recomputed, so that a test reaches the checks
/// behind the zip's and the hashes' (a manifest out of bounds, a NaN weight, a duplicate tensor).
/// </summary>
internal static class ZipForge
{
    /// <summary>The entries of a zip, in order (a name may repeat when the zip holds it twice).</summary>
    public static List<(string Name, byte[] Bytes)> Entries(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.Select(e =>
        {
            using var s = e.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return (e.FullName, ms.ToArray());
        }).ToList();
    }

    /// <summary>A zip of <paramref name="entries"/>, each compressed as given (default: stored).</summary>
    public static byte[] Zip(IEnumerable<(string Name, byte[] Bytes)> entries, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var ms = new MemoryStream();
        using (var archive = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var s = archive.CreateEntry(name, level).Open();
                s.Write(bytes);
            }
        }
        return ms.ToArray();
    }

    /// <summary>
    /// A format-2 model file from <paramref name="manifest"/> and <paramref name="weights"/> with the weights' SHA-256 and the
    /// integrity entry recomputed (everything a reader checks before the manifest's bounds and the tensors is valid).
    /// </summary>
    public static byte[] ModelFile(JsonObject manifest, byte[] weights)
    {
        manifest["weightsSha256"] = Convert.ToHexStringLower(SHA256.HashData(weights));
        return ModelFileRaw(Encoding.UTF8.GetBytes(manifest.ToJsonString()), weights);
    }

    /// <summary>A format-2 model file of exactly these manifest bytes and weights, with the integrity entry recomputed.</summary>
    public static byte[] ModelFileRaw(byte[] manifestBytes, byte[] weights)
    {
        var integrity = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData([.. manifestBytes, .. weights])));
        return Zip([("manifest.json", manifestBytes), ("encoder.bin", weights), ("integrity.sha256", integrity)]);
    }

    /// <summary>The manifest and weights of a model file.</summary>
    public static (JsonObject Manifest, byte[] Weights) Parts(byte[] modelFile)
    {
        var entries = Entries(modelFile);
        return (JsonNode.Parse(entries.Single(e => e.Name == "manifest.json").Bytes)!.AsObject(), entries.Single(e => e.Name == "encoder.bin").Bytes);
    }
}
