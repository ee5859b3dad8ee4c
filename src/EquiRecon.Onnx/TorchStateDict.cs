using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Onnx;

/// <summary>
/// Reads TorchSharp's state-dict binary (what <c>Module.save</c> writes, the <c>encoder.bin</c> of a model file) without
/// libtorch. Layout: a 7-bit-encoded entry count; per entry a .NET <c>BinaryWriter</c> string (7-bit length, UTF-8) naming
/// the tensor, its 7-bit-encoded <c>ScalarType</c> code, the 7-bit-encoded rank and each dimension, then the tensor's raw
/// little-endian bytes, row-major.
/// </summary>
/// <remarks>Only the dtypes an encoder holds are read: float32 (code 6) and int64 (code 4, batch norms'
/// <c>num_batches_tracked</c>); anything else, a truncated stream, a repeated name or trailing bytes throws a
/// <see cref="ModelFileException"/> naming the source and the entry.</remarks>
internal static class TorchStateDict
{
    /// <summary>TorchSharp's <c>ScalarType.Int64</c>.</summary>
    public const int Int64Code = 4;

    /// <summary>TorchSharp's <c>ScalarType.Float32</c>.</summary>
    public const int Float32Code = 6;

    private const int MaxRank = 8;
    private const int MaxEntries = 100_000;

    /// <summary>One tensor of a state dict: its dtype code, shape and values (float32 as floats; int64 as its raw values).</summary>
    public sealed record Entry(string Name, int DtypeCode, long[] Shape, float[]? Floats, long[]? Longs)
    {
        /// <summary>Number of elements.</summary>
        public long Count => Shape.Aggregate(1L, (a, d) => a * d);

        /// <summary>The shape as <c>[a, b]</c>.</summary>
        public string ShapeText => "[" + string.Join(", ", Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";
    }

    /// <summary>Parses a whole state dict.</summary>
    /// <param name="bytes">The bytes TorchSharp's <c>Module.save</c> wrote.</param>
    /// <param name="source">Names the bytes in error messages (e.g. <c>model file m.equirecon</c>).</param>
    /// <returns>The entries by name, in file order.</returns>
    /// <exception cref="ModelFileException">The bytes are not a state dict this reader understands; the message names the entry.</exception>
    public static IReadOnlyDictionary<string, Entry> Read(ReadOnlySpan<byte> bytes, string source)
    {
        var position = 0;
        var count = ReadEncoded(bytes, ref position, source, "the entry count");
        if (count is < 0 or > MaxEntries)
            throw Fail(source, $"an entry count of {count} is not plausible");
        var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var nameLength = ReadEncoded(bytes, ref position, source, $"the name length of entry {i}");
            if (nameLength <= 0 || nameLength > bytes.Length - position)
                throw Fail(source, $"entry {i} has a name length of {nameLength} bytes, beyond the data");
            var name = Encoding.UTF8.GetString(bytes.Slice(position, (int)nameLength));
            position += (int)nameLength;
            var dtype = ReadEncoded(bytes, ref position, source, $"the dtype of '{name}'");
            var rank = ReadEncoded(bytes, ref position, source, $"the rank of '{name}'");
            if (rank is < 0 or > MaxRank)
                throw Fail(source, $"'{name}' has rank {rank}");
            var shape = new long[rank];
            for (var d = 0; d < rank; d++)
            {
                shape[d] = ReadEncoded(bytes, ref position, source, $"dimension {d} of '{name}'");
                if (shape[d] < 0)
                    throw Fail(source, $"'{name}' has a negative dimension");
            }
            var elements = shape.Aggregate(1L, (a, b) => checked(a * b));
            var elementSize = dtype switch
            {
                Float32Code => 4,
                Int64Code => 8,
                _ => throw Fail(source, $"'{name}' has TorchSharp dtype code {dtype}; only float32 ({Float32Code}) and int64 ({Int64Code}) are expected in an encoder"),
            };
            var byteCount = checked(elements * elementSize);
            if (byteCount > bytes.Length - position)
                throw Fail(source, $"'{name}' needs {byteCount} bytes of data but only {bytes.Length - position} remain (truncated)");
            var data = bytes.Slice(position, (int)byteCount);
            position += (int)byteCount;
            float[]? floats = null;
            long[]? longs = null;
            if (dtype == Float32Code)
            {
                floats = new float[elements];
                for (var k = 0; k < floats.Length; k++)
                    floats[k] = BinaryPrimitives.ReadSingleLittleEndian(data[(k * 4)..]);
            }
            else
            {
                longs = new long[elements];
                for (var k = 0; k < longs.Length; k++)
                    longs[k] = BinaryPrimitives.ReadInt64LittleEndian(data[(k * 8)..]);
            }
            if (!result.TryAdd(name, new Entry(name, (int)dtype, shape, floats, longs)))
                throw Fail(source, $"'{name}' appears twice");
        }
        if (position != bytes.Length)
            throw Fail(source, $"{bytes.Length - position} bytes follow the {count} entries");
        return result;
    }

    /// <summary>The 7-bit variable-length integer of <c>BinaryWriter.Write7BitEncodedInt64</c> (TorchSharp's <c>Encode</c>).</summary>
    private static long ReadEncoded(ReadOnlySpan<byte> bytes, ref int position, string source, string what)
    {
        long value = 0;
        for (var shift = 0; shift < 63; shift += 7)
        {
            if (position >= bytes.Length)
                throw Fail(source, $"the data ends inside {what} (truncated)");
            var b = bytes[position++];
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw Fail(source, $"{what} is not a valid 7-bit encoded integer");
    }

    private static ModelFileException Fail(string source, string message)
        => new($"{source}: the weights (TorchSharp state dict) cannot be read: {message}.");
}
