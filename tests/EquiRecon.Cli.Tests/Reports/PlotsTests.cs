using EquiRecon.Cli.Reports;
using SkiaSharp;

namespace EquiRecon.Cli.Tests.Reports;

public sealed class PlotsTests
{
    [Fact]
    public void Image_grid_is_a_png_of_the_expected_size_with_the_pixels()
    {
        using var dir = new TempDir();
        const int size = 4, columns = 2, zoom = 3;
        var pixels = new byte[2 * columns * size * size * 3];
        for (var i = 0; i < pixels.Length; i += 3)
            pixels[i] = 255; // pure red images
        var path = dir.Sub("grid.png");

        Plots.WriteImageGrid(path, "title", ["a", "b"], columns, size, pixels, zoom);

        using var bitmap = SKBitmap.Decode(path);
        bitmap.Should().NotBeNull();
        bitmap.Height.Should().Be(44 + 2 * (size * zoom + 6) + 6);
        var left = PixelFont.Measure("a", 2) + 20;
        bitmap.GetPixel(left + 1, 44 + 1).Should().Be(new SKColor(255, 0, 0));
    }

    [Fact]
    public void Image_grid_checks_the_pixel_count()
    {
        using var dir = new TempDir();
        var act = () => Plots.WriteImageGrid(dir.Sub("x.png"), "t", ["a"], 2, 4, new byte[10]);
        act.Should().Throw<ArgumentException>().WithMessage("*96*");
    }

    [Fact]
    public void Grouped_bars_accept_negative_and_missing_values()
    {
        using var dir = new TempDir();
        var path = dir.Sub("bars.png");
        Plots.WriteGroupedBars(path, "R2", ["a", "b"], ["rot", "blur"], new[,] { { 0.5, -0.4 }, { double.NaN, 1.0 } });
        using var bitmap = SKBitmap.Decode(path);
        bitmap.Width.Should().BeGreaterThan(100);
    }
}
