using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Reader of NumPy <c>.npy</c> files holding little-endian float32 or float64 arrays in C order
/// (format versions 1–3). Only data is read; nothing is executed (no pickles).
/// </summary>
internal static partial class NpyFile
{
    [GeneratedRegex(@"'descr'\s*:\s*'(?<descr>[^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(?<fortran>True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\((?<shape>[^)]*)\)")]
    private static partial Regex ShapePattern();

    /// <summary>Reads all values of a float array as doubles, with its shape.</summary>
    /// <exception cref="InvalidDataException">Not a .npy file, an unsupported dtype or layout, or truncated; the message names the file.</exception>
    public static (double[] Values, int[] Shape) ReadDoubles(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"'{path}' is not a .npy file (bad magic).");
        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
            (headerLength, headerStart) = (BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)), 10);
        else if (major is 2 or 3 && bytes.Length >= 12)
            (headerLength, headerStart) = ((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)), 12);
        else
            throw new InvalidDataException($"'{path}' has .npy format version {major}; versions 1–3 are supported.");
        if (headerStart + headerLength > bytes.Length)
            throw new InvalidDataException($"'{path}' is truncated (header).");
        var header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header).Groups["descr"].Value;
        var fortran = FortranPattern().Match(header).Groups["fortran"].Value;
        var shapeText = ShapePattern().Match(header);
        if (!shapeText.Success || fortran.Length == 0)
            throw new InvalidDataException($"'{path}' has an unreadable .npy header: {header.Trim()}");
        if (fortran == "True")
            throw new InvalidDataException($"'{path}' is in Fortran order; only C order is supported.");
        var shape = shapeText.Groups["shape"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var data = bytes.AsSpan(headerStart + headerLength);
        var size = descr switch
        {
            "<f4" => 4,
            "<f8" => 8,
            _ => throw new InvalidDataException($"'{path}' holds dtype '{descr}'; little-endian float32 ('<f4') or float64 ('<f8') is expected."),
        };
        if (data.Length < count * size)
            throw new InvalidDataException($"'{path}' is truncated: {count} values of {size} bytes expected, {data.Length} bytes present.");
        var values = new double[count];
        for (var i = 0; i < count; i++)
            values[i] = size == 4
                ? BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..])
                : BinaryPrimitives.ReadDoubleLittleEndian(data[(i * 8)..]);
        return (values, shape);
    }
}
