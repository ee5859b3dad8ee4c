using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Persistence;

/// <summary>
/// Saves and loads named binary blobs (weights, statistics) as separate streams inside an ML.NET
/// model zip, beside the component's <c>Model.key</c>, the way ML.NET's own components store them
/// (<c>ModelSaveContext.SaveBinaryStream</c> / <c>ModelLoadContext.TryLoadBinaryStream</c>).
/// </summary>
/// <remarks>
/// Stream layout: a 4-byte magic <c>"ERB1"</c>, an <see cref="int"/> byte count, then the bytes
/// (little-endian throughout). Float arrays are stored as their little-endian IEEE 754 bytes.
/// </remarks>
internal static class ModelBlob
{
    private const int Magic = 0x31425245; // "ERB1" read as a little-endian int32.

    /// <summary>Writes <paramref name="data"/> as the stream <paramref name="name"/> of the component being saved.</summary>
    /// <exception cref="InvalidOperationException">The context does not write into a model repository (zip).</exception>
    public static void Save(ModelSaveContext ctx, string name, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!ctx.InRepository)
            throw new InvalidOperationException($"Cannot save the blob '{name}': the model is not being saved into a repository (zip).");

        // The lambda cannot capture a span: copy once.
        byte[] copy = data.ToArray();
        ctx.SaveBinaryStream(name, writer =>
        {
            writer.Write(Magic);
            writer.Write(copy.Length);
            writer.Write(copy);
        });
    }

    /// <summary>Reads the stream <paramref name="name"/> of the component being loaded.</summary>
    /// <exception cref="FormatException">The stream is missing, truncated or not a blob.</exception>
    public static byte[] Load(ModelLoadContext ctx, string name)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (!ctx.InRepository)
            throw new FormatException($"Cannot load the blob '{name}': the model is not being loaded from a repository (zip).");

        byte[]? result = null;
        bool found = ctx.TryLoadBinaryStream(name, reader =>
        {
            if (reader.ReadInt32() != Magic)
                throw new FormatException($"The model stream '{name}' is not an EquiRecon blob.");
            int length = reader.ReadInt32();
            if (length < 0)
                throw new FormatException($"The model stream '{name}' has a negative length {length}.");
            result = ReadAtMost(reader, length);
            if (result.Length != length)
                throw new FormatException($"The model stream '{name}' is truncated: {result.Length} of {length} bytes.");
        });
        if (!found || result is null)
            throw new FormatException($"The model has no stream '{name}' in '{ctx.Directory}': the zip is incomplete or was written by an incompatible version.");
        return result;
    }

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes in chunks, so that a damaged length field allocates no more than the
    /// stream really holds (<c>BinaryReader.ReadBytes</c> would allocate the declared length up front).
    /// </summary>
    private static byte[] ReadAtMost(BinaryReader reader, int length)
    {
        const int chunk = 1 << 20;
        if (length <= chunk)
            return reader.ReadBytes(length);
        using var buffer = new MemoryStream();
        var block = new byte[chunk];
        while (buffer.Length < length)
        {
            var n = reader.Read(block, 0, (int)Math.Min(chunk, length - buffer.Length));
            if (n == 0)
                break;
            buffer.Write(block, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Writes <paramref name="values"/> (little-endian) as the stream <paramref name="name"/>.</summary>
    public static void SaveSingles(ModelSaveContext ctx, string name, ReadOnlySpan<float> values)
        => Save(ctx, name, ToBytes(values));

    /// <summary>Reads a float array written by <see cref="SaveSingles"/>.</summary>
    /// <exception cref="FormatException">The stream is missing or its length is not a multiple of 4.</exception>
    public static float[] LoadSingles(ModelLoadContext ctx, string name)
    {
        byte[] bytes = Load(ctx, name);
        if (bytes.Length % sizeof(float) != 0)
            throw new FormatException($"The model stream '{name}' has {bytes.Length} bytes, not a whole number of floats.");
        return FromBytes(bytes);
    }

    /// <summary>Little-endian bytes of <paramref name="values"/>.</summary>
    internal static byte[] ToBytes(ReadOnlySpan<float> values)
    {
        byte[] bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), values[i]);
        }

        return bytes;
    }

    /// <summary>Floats from little-endian <paramref name="bytes"/> (length a multiple of 4).</summary>
    internal static float[] FromBytes(ReadOnlySpan<byte> bytes)
    {
        float[] values = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        return values;
    }
}
