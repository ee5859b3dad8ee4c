using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EquiRecon.TorchSharp.Encoders;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// Reads TorchSharp's state-dict binary (what <c>Module.save</c> writes, the <c>encoder.bin</c> of a model file) without
/// libtorch. Layout: a 7-bit-encoded entry count; per entry a .NET <c>BinaryWriter</c> string (7-bit length, UTF-8) naming
/// the tensor, its 7-bit-encoded <c>ScalarType</c> code, the 7-bit-encoded rank and each dimension, then the tensor's raw
/// little-endian bytes, row-major. The one home of this layout: the model file's checks (<see cref="CheckEncoder"/>, run
/// before libtorch sees the bytes) and the ONNX export (<see cref="Read"/>) both use it.
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
        public string ShapeText => FormatShape(Shape);
    }

    /// <summary>Where one tensor lies in the bytes: name, dtype code, shape and its data's offset and length.</summary>
    private readonly record struct Header(string Name, int DtypeCode, long[] Shape, int Offset, int Length);

    /// <summary>Parses a whole state dict.</summary>
    /// <param name="bytes">The bytes TorchSharp's <c>Module.save</c> wrote.</param>
    /// <param name="source">Names the bytes in error messages (e.g. <c>model file m.equirecon</c>).</param>
    /// <returns>The entries by name, in file order.</returns>
    /// <exception cref="ModelFileException">The bytes are not a state dict this reader understands; the message names the entry.</exception>
    public static IReadOnlyDictionary<string, Entry> Read(ReadOnlySpan<byte> bytes, string source)
    {
        var result = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var h in Scan(bytes, source))
        {
            var data = bytes.Slice(h.Offset, h.Length);
            float[]? floats = null;
            long[]? longs = null;
            if (h.DtypeCode == Float32Code)
            {
                floats = new float[h.Length / 4];
                for (var k = 0; k < floats.Length; k++)
                    floats[k] = BinaryPrimitives.ReadSingleLittleEndian(data[(k * 4)..]);
            }
            else
            {
                longs = new long[h.Length / 8];
                for (var k = 0; k < longs.Length; k++)
                    longs[k] = BinaryPrimitives.ReadInt64LittleEndian(data[(k * 8)..]);
            }
            result.Add(h.Name, new Entry(h.Name, h.DtypeCode, h.Shape, floats, longs));
        }
        return result;
    }

    /// <summary>
    /// Checks, without creating tensors or copying values, that <paramref name="bytes"/> hold exactly the tensors an encoder
    /// of <paramref name="config"/> registers (<see cref="ExpectedEncoder"/>): each name once, the right dtype and shape,
    /// every float finite, nothing after the last tensor.
    /// </summary>
    /// <exception cref="ModelFileException">A check fails; the message names <paramref name="source"/> and the tensor.</exception>
    public static void CheckEncoder(ReadOnlySpan<byte> bytes, ResNetEncoderConfig config, string source)
    {
        var expected = ExpectedEncoder(config);
        var headers = Scan(bytes, source);
        var names = headers.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !names.Contains(k)).ToArray();
        var extra = names.Where(k => !expected.ContainsKey(k)).ToArray();
        if (missing.Length > 0 || extra.Length > 0)
        {
            throw Fail(source, $"they hold {names.Count} tensors, the encoder in the manifest has {expected.Count}" +
                (missing.Length > 0 ? $"; missing: {string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? ", …" : "")}" : "") +
                (extra.Length > 0 ? $"; unexpected: {string.Join(", ", extra.Take(8))}{(extra.Length > 8 ? ", …" : "")}" : ""));
        }
        foreach (var h in headers)
        {
            var (dtype, shape) = expected[h.Name];
            if (h.DtypeCode != dtype)
                throw Fail(source, $"'{h.Name}' has TorchSharp dtype code {h.DtypeCode}, expected {dtype} ({(dtype == Float32Code ? "float32" : "int64")})");
            if (!h.Shape.SequenceEqual(shape))
                throw Fail(source, $"'{h.Name}' has shape {FormatShape(h.Shape)}, expected {FormatShape(shape)}");
            if (dtype == Float32Code)
            {
                var data = bytes.Slice(h.Offset, h.Length);
                for (var k = 0; k < data.Length; k += 4)
                {
                    if (!float.IsFinite(BinaryPrimitives.ReadSingleLittleEndian(data[k..])))
                        throw Fail(source, $"'{h.Name}' holds a non-finite value (NaN or infinity) at element {k / 4}");
                }
            }
        }
    }

    /// <summary>The exact length in bytes of the state dict of a module registering <paramref name="expected"/> (TorchSharp's layout).</summary>
    public static long ExactSize(IReadOnlyDictionary<string, (int Dtype, long[] Shape)> expected)
    {
        long size = EncodedLength(expected.Count);
        foreach (var (name, (dtype, shape)) in expected)
        {
            var nameBytes = Encoding.UTF8.GetByteCount(name);
            size += EncodedLength(nameBytes) + nameBytes + EncodedLength(dtype) + EncodedLength(shape.Length);
            var elements = 1L;
            foreach (var d in shape)
            {
                size += EncodedLength(d);
                elements = checked(elements * d);
            }
            size = checked(size + elements * (dtype == Float32Code ? 4 : 8));
        }
        return size;
    }

    /// <summary>Every tensor a <see cref="ResNetEncoder"/> of <paramref name="config"/> registers, with its dtype code and shape
    /// (torchvision's names: <c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer2.0.downsample.0.weight</c>, …, and
    /// <c>input_offset</c> when the configuration has one).</summary>
    public static Dictionary<string, (int Dtype, long[] Shape)> ExpectedEncoder(ResNetEncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var result = new Dictionary<string, (int, long[])>(StringComparer.Ordinal);
        void Conv(string name, int outC, int inC, int k) => result[name + ".weight"] = (Float32Code, [outC, inC, k, k]);
        void Bn(string name, int c)
        {
            foreach (var p in new[] { "weight", "bias", "running_mean", "running_var" })
                result[$"{name}.{p}"] = (Float32Code, [c]);
            result[name + ".num_batches_tracked"] = (Int64Code, []);
        }
        var stem = config.Widths[0];
        Conv("conv1", stem, ResNetEncoder.InputChannels, config.Stem == ResNetStem.Cifar ? 3 : 7);
        Bn("bn1", stem);
        var inC = stem;
        for (var stage = 0; stage < config.Stages; stage++)
        {
            var width = config.Widths[stage];
            for (var block = 0; block < config.BlocksPerStage[stage]; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                var p = string.Create(CultureInfo.InvariantCulture, $"layer{stage + 1}.{block}.");
                Conv(p + "conv1", width, inC, 3);
                Bn(p + "bn1", width);
                Conv(p + "conv2", width, width, 3);
                Bn(p + "bn2", width);
                if (stride != 1 || inC != width)
                {
                    Conv(p + "downsample.0", width, inC, 1);
                    Bn(p + "downsample.1", width);
                }
                inC = width;
            }
        }
        if (config.InputOffsetSize > 0)
            result["input_offset"] = (Float32Code, [1, ResNetEncoder.InputChannels, config.InputOffsetSize, config.InputOffsetSize]);
        return result;
    }

    private static List<Header> Scan(ReadOnlySpan<byte> bytes, string source)
    {
        var position = 0;
        var count = ReadEncoded(bytes, ref position, source, "the entry count");
        if (count is < 0 or > MaxEntries)
            throw Fail(source, $"an entry count of {count} is not plausible");
        var result = new List<Header>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var nameLength = ReadEncoded(bytes, ref position, source, $"the name length of entry {i}");
            if (nameLength <= 0 || nameLength > bytes.Length - position)
                throw Fail(source, $"entry {i} has a name length of {nameLength} bytes, beyond the data");
            var name = Encoding.UTF8.GetString(bytes.Slice(position, (int)nameLength));
            position += (int)nameLength;
            if (!seen.Add(name))
                throw Fail(source, $"'{name}' appears twice");
            var dtype = ReadEncoded(bytes, ref position, source, $"the dtype of '{name}'");
            var rank = ReadEncoded(bytes, ref position, source, $"the rank of '{name}'");
            if (rank is < 0 or > MaxRank)
                throw Fail(source, $"'{name}' has rank {rank}");
            var shape = new long[rank];
            var elements = 1L;
            for (var d = 0; d < rank; d++)
            {
                shape[d] = ReadEncoded(bytes, ref position, source, $"dimension {d} of '{name}'");
                if (shape[d] < 0 || shape[d] > bytes.Length)
                    throw Fail(source, $"'{name}' has dimension {d} of {shape[d]}, beyond the data");
                elements = elements * shape[d] > bytes.Length ? bytes.Length + 1L : elements * shape[d];
            }
            var elementSize = dtype switch
            {
                Float32Code => 4,
                Int64Code => 8,
                _ => throw Fail(source, $"'{name}' has TorchSharp dtype code {dtype}; only float32 ({Float32Code}) and int64 ({Int64Code}) are expected in an encoder"),
            };
            var byteCount = elements * elementSize;
            if (byteCount > bytes.Length - position)
                throw Fail(source, $"'{name}' {FormatShape(shape)} needs {byteCount} bytes of data but only {bytes.Length - position} remain (truncated)");
            result.Add(new Header(name, (int)dtype, shape, position, (int)byteCount));
            position += (int)byteCount;
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

    private static int EncodedLength(long value)
    {
        var length = 1;
        for (var v = (ulong)value; v >= 0x80; v >>= 7)
            length++;
        return length;
    }

    private static string FormatShape(long[] shape) => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    private static ModelFileException Fail(string source, string message)
        => new($"{source}: the weights (TorchSharp state dict) cannot be read: {message}.");
}
