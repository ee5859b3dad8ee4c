using System.Globalization;
using EquiRecon.TorchSharp.IO;
using SkiaSharp;

namespace EquiRecon.Cli.Reports;

/// <summary>PNG plots of the reproduce report, drawn with SkiaSharp (labels in <see cref="PixelFont"/>).</summary>
internal static class Plots
{
    /// <summary>Colours of the bar series (colour-blind friendly, Okabe–Ito).</summary>
    private static readonly SKColor[] Palette =
    [
        new(0xE6, 0x9F, 0x00), new(0x56, 0xB4, 0xE9), new(0x00, 0x9E, 0x73), new(0xD5, 0x5E, 0x00),
        new(0xCC, 0x79, 0xA7), new(0x00, 0x72, 0xB2), new(0xF0, 0xE4, 0x42), new(0x00, 0x00, 0x00),
    ];

    private static readonly SKColor Ink = new(0x22, 0x22, 0x22);
    private static readonly SKColor Grid = new(0xDD, 0xDD, 0xDD);

    /// <summary>
    /// Grouped bars: one group per entry of <paramref name="groups"/>, one bar per entry of <paramref name="series"/>;
    /// <paramref name="values"/> is <c>[group, series]</c> (NaN: no bar). The y axis spans [min(0, lowest), 1].
    /// </summary>
    public static void WriteGroupedBars(string path, string title, IReadOnlyList<string> groups, IReadOnlyList<string> series, double[,] values)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(values);
        if (values.GetLength(0) != groups.Count || values.GetLength(1) != series.Count)
            throw new ArgumentException($"Expected values of shape [{groups.Count}, {series.Count}], got [{values.GetLength(0)}, {values.GetLength(1)}].", nameof(values));
        const int scale = 2;
        const int left = 70, right = 30, top = 70, bottom = 70;
        var widestLabel = groups.Count == 0 ? 0 : groups.Max(g => PixelFont.Measure(g, scale));
        var groupWidth = Math.Max(Math.Max(90, series.Count * 18 + 24), widestLabel + 14);
        var legendWidth = series.Sum(s => PixelFont.Measure(s, scale) + 34);
        var width = Math.Max(left + right + Math.Max(1, groups.Count) * groupWidth, Math.Max(PixelFont.Measure(title, scale), legendWidth) + left + right);
        var height = 480;
        var plotHeight = height - top - bottom;

        var lowest = 0.0;
        foreach (var v in values)
            if (double.IsFinite(v)) lowest = Math.Min(lowest, v);
        var yMin = Math.Max(-1.0, Math.Floor(lowest * 5) / 5);
        const double yMax = 1.0;
        float Y(double v) => (float)(top + plotHeight * (yMax - Math.Clamp(v, yMin, yMax)) / (yMax - yMin));

        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var gridPaint = new SKPaint { Color = Grid, StrokeWidth = 1, IsAntialias = false };
        using var axisPaint = new SKPaint { Color = Ink, StrokeWidth = 2, IsAntialias = false };
        PixelFont.Draw(canvas, title, 10, 16, scale, Ink);

        for (var tick = yMin; tick <= yMax + 1e-9; tick += 0.2)
        {
            var y = Y(tick);
            canvas.DrawLine(left, y, width - right, y, gridPaint);
            PixelFont.DrawRight(canvas, tick.ToString("0.0", CultureInfo.InvariantCulture), left - 8, y - 7, scale, Ink);
        }
        canvas.DrawLine(left, Y(0), width - right, Y(0), axisPaint);
        canvas.DrawLine(left, top, left, top + plotHeight, axisPaint);

        var barWidth = (groupWidth - 24f) / Math.Max(1, series.Count);
        for (var g = 0; g < groups.Count; g++)
        {
            var x0 = left + g * groupWidth + 12f;
            for (var s = 0; s < series.Count; s++)
            {
                var v = values[g, s];
                if (!double.IsFinite(v))
                    continue;
                using var paint = new SKPaint { Color = Palette[s % Palette.Length], Style = SKPaintStyle.Fill };
                var (a, b) = (Y(0), Y(v));
                canvas.DrawRect(x0 + s * barWidth, Math.Min(a, b), barWidth - 2, Math.Max(1, Math.Abs(a - b)), paint);
            }
            var label = groups[g];
            var labelScale = PixelFont.Measure(label, scale) <= groupWidth - 4 ? scale : 1;
            PixelFont.DrawCentered(canvas, label, left + g * groupWidth + groupWidth / 2f, top + plotHeight + 12, labelScale, Ink);
        }

        // Legend, top right.
        var lx = width - right - legendWidth;
        for (var s = 0; s < series.Count; s++)
        {
            using var paint = new SKPaint { Color = Palette[s % Palette.Length], Style = SKPaintStyle.Fill };
            canvas.DrawRect(lx, 42, 14, 14, paint);
            PixelFont.Draw(canvas, series[s], lx + 20, 42, scale, Ink);
            lx += PixelFont.Measure(series[s], scale) + 34;
        }
        Save(bitmap, path);
    }

    /// <summary>
    /// A grid of RGB images: <paramref name="rowLabels"/>.Count rows × <paramref name="columns"/> columns of
    /// <paramref name="size"/>² pixels, <paramref name="pixels"/> laid out <c>[row, column, y, x, rgb]</c>, each image
    /// magnified by <paramref name="zoom"/> (nearest neighbour).
    /// </summary>
    public static void WriteImageGrid(string path, string title, IReadOnlyList<string> rowLabels, int columns, int size, byte[] pixels, int zoom = 4)
    {
        ArgumentNullException.ThrowIfNull(rowLabels);
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(zoom, 1);
        var expected = (long)rowLabels.Count * columns * size * size * 3;
        if (pixels.LongLength != expected)
            throw new ArgumentException($"Expected {expected} bytes ([{rowLabels.Count}, {columns}, {size}, {size}, 3]), got {pixels.LongLength}.", nameof(pixels));
        const int scale = 2, gap = 6, top = 44;
        var left = rowLabels.Max(l => PixelFont.Measure(l, scale)) + 20;
        var cell = size * zoom;
        var width = left + columns * (cell + gap) + gap;
        var height = top + rowLabels.Count * (cell + gap) + gap;
        using var bitmap = new SKBitmap(width, height);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        PixelFont.Draw(canvas, title, 10, 14, scale, Ink);
        using var paint = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = false };
        for (var r = 0; r < rowLabels.Count; r++)
        {
            var y0 = top + r * (cell + gap);
            PixelFont.Draw(canvas, rowLabels[r], 10, y0 + cell / 2f - 7, scale, Ink);
            for (var c = 0; c < columns; c++)
            {
                var x0 = left + c * (cell + gap);
                var offset = ((long)r * columns + c) * size * size * 3;
                for (var y = 0; y < size; y++)
                {
                    for (var x = 0; x < size; x++)
                    {
                        var i = offset + ((long)y * size + x) * 3;
                        paint.Color = new SKColor(pixels[i], pixels[i + 1], pixels[i + 2]);
                        canvas.DrawRect(x0 + x * zoom, y0 + y * zoom, zoom, zoom, paint);
                    }
                }
            }
        }
        Save(bitmap, path);
    }

    private static void Save(SKBitmap bitmap, string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, stream => data.SaveTo(stream));
    }
}
