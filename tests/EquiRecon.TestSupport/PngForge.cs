using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;
using System.Text;

namespace EquiRecon.TestSupport;

/// <summary>
/// Writes PNG files byte by byte, so that a test can make one whose header (IHDR) claims a size its few bytes do not hold:
/// valid signature, chunk lengths and CRC-32s, and a tiny IDAT (one zlib-compressed row of zeros).
/// </summary>
public static class PngForge
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>An 8-bit RGB PNG whose IHDR says <paramref name="width"/> × <paramref name="height"/> but whose IDAT holds one row of zeros only.</summary>
    public static byte[] ClaimingSize(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        // compression 0, filter 0, interlace 0
        using var ms = new MemoryStream();
        ms.Write(Signature);
        Chunk(ms, "IHDR", ihdr);
        Chunk(ms, "IDAT", OneZeroRow(Math.Min(width, 1024)));
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    /// <summary>Writes <see cref="ClaimingSize"/>'s bytes to <paramref name="path"/> (creating its folder) and returns the path.</summary>
    public static string WriteClaimingSize(string path, int width, int height)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, ClaimingSize(width, height));
        return path;
    }

    private static byte[] OneZeroRow(int width)
    {
        using var ms = new MemoryStream();
        using (var z = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(new byte[1 + 3 * width]); // filter byte + RGB samples
        return ms.ToArray();
    }

    private static void Chunk(Stream stream, string type, byte[] data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        stream.Write(length);
        var typeAndData = (byte[])[.. Encoding.ASCII.GetBytes(type), .. data];
        stream.Write(typeAndData);
        Span<byte> crc = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(typeAndData));
        stream.Write(crc);
    }
}
