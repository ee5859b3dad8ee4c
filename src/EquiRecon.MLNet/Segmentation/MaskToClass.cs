using System.Globalization;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Segmentation;

/// <summary>
/// How a mask image's pixels map to class indices. A mask pixel's grey level is its luma
/// <c>(299·R + 587·G + 114·B + 500) / 1000</c> (integer arithmetic; exactly the value of a greyscale pixel, which ML.NET
/// loads as R = G = B); the grey level then maps to a class through thresholds or directly.
/// </summary>
public sealed class MaskToClass
{
    private readonly short[] _table; // grey level → class, or -1 where the grey level is not a valid class.
    private readonly byte[] _thresholds;

    private MaskToClass(short[] table, int classes, byte[] thresholds, string description)
    {
        _table = table;
        _thresholds = thresholds;
        Classes = classes;
        Description = description;
    }

    /// <summary>Number of classes <c>K</c>.</summary>
    public int Classes { get; }

    /// <summary>The thresholds (ascending) of a threshold mapping; empty for <see cref="Identity"/>.</summary>
    public IReadOnlyList<byte> Thresholds => _thresholds;

    /// <summary>A short description, e.g. <c>threshold 128 (2 classes)</c>.</summary>
    public string Description { get; }

    /// <summary>
    /// Two classes: grey level below <paramref name="threshold"/> → 0, at or above → 1. The default, 128, suits
    /// black/white masks (ISBI 2012 EM: 0 = membrane → class 0, 255 = cell interior → class 1).
    /// </summary>
    /// <param name="threshold">Grey level from 1 to 255. Default 128.</param>
    public static MaskToClass Threshold(byte threshold = 128) => FromThresholds([threshold]);

    /// <summary>
    /// <c>n + 1</c> classes from <c>n</c> ascending thresholds: the class of a grey level is the number of thresholds at or
    /// below it (e.g. 85, 170 → 0–84: 0, 85–169: 1, 170–255: 2).
    /// </summary>
    /// <param name="thresholds">Strictly ascending grey levels from 1 to 255; at least one.</param>
    /// <exception cref="ArgumentException">No threshold, a threshold of 0, or not strictly ascending.</exception>
    public static MaskToClass FromThresholds(params byte[] thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        if (thresholds.Length == 0)
            throw new ArgumentException("At least one threshold is needed.", nameof(thresholds));
        if (thresholds[0] == 0)
            throw new ArgumentException("A threshold of 0 would leave class 0 empty; thresholds go from 1 to 255.", nameof(thresholds));
        for (int i = 1; i < thresholds.Length; i++)
        {
            if (thresholds[i] <= thresholds[i - 1])
                throw new ArgumentException($"Thresholds must be strictly ascending, got [{string.Join(", ", thresholds)}].", nameof(thresholds));
        }

        var table = new short[256];
        for (int grey = 0; grey < 256; grey++)
            table[grey] = (short)thresholds.Count(t => grey >= t);
        string description = string.Create(CultureInfo.InvariantCulture,
            $"{(thresholds.Length == 1 ? "threshold" : "thresholds")} {string.Join(", ", thresholds)} ({thresholds.Length + 1} classes)");
        return new MaskToClass(table, thresholds.Length + 1, [.. thresholds], description);
    }

    /// <summary>
    /// The grey level is the class index (label-map masks with values <c>0 … K−1</c>); any other grey level is an error.
    /// </summary>
    /// <param name="classes">Number of classes, from 2 to 256.</param>
    public static MaskToClass Identity(int classes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(classes, 256);
        var table = new short[256];
        for (int grey = 0; grey < 256; grey++)
            table[grey] = (short)(grey < classes ? grey : -1);
        return new MaskToClass(table, classes, [], string.Create(CultureInfo.InvariantCulture, $"identity ({classes} classes)"));
    }

    /// <summary>The class of grey level <paramref name="grey"/>, or −1 when it maps to no class.</summary>
    public int ClassOf(byte grey) => _table[grey];

    /// <inheritdoc />
    public override string ToString() => Description;

    /// <summary>The grey level of a pixel (integer luma, exact for grey pixels).</summary>
    internal static byte Grey(byte red, byte green, byte blue) => (byte)(((299 * red) + (587 * green) + (114 * blue) + 500) / 1000);

    /// <summary>Writes the class of every pixel of <paramref name="mask"/> (row-major) into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">A grey level maps to no class, or the mask's size or pixel format is unexpected; the message names the column.</exception>
    internal void ToClasses(MLImage mask, string columnName, Span<long> destination)
    {
        ArgumentNullException.ThrowIfNull(mask);
        int pixels = mask.Height * mask.Width;
        if (destination.Length != pixels)
            throw new InvalidOperationException($"Column '{columnName}' holds a {mask.Height}x{mask.Width} mask; expected {destination.Length} pixels.");
        (int red, int green, int blue) = mask.PixelFormat switch
        {
            MLPixelFormat.Bgra32 => (2, 1, 0),
            MLPixelFormat.Rgba32 => (0, 1, 2),
            _ => throw new InvalidOperationException($"Column '{columnName}': mask pixel format {mask.PixelFormat} is not supported (Bgra32 or Rgba32)."),
        };
        ReadOnlySpan<byte> bytes = mask.Pixels;
        if (bytes.Length != pixels * 4)
            throw new InvalidOperationException($"Column '{columnName}': the {mask.Height}x{mask.Width} mask has {bytes.Length} pixel bytes; expected tightly packed 4-byte pixels.");
        for (int i = 0, p = 0; i < pixels; i++, p += 4)
        {
            byte grey = Grey(bytes[p + red], bytes[p + green], bytes[p + blue]);
            int cls = _table[grey];
            if (cls < 0)
                throw new InvalidOperationException($"Column '{columnName}': mask grey level {grey} maps to no class ({Description}).");
            destination[i] = cls;
        }
    }
}
