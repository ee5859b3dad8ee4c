using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Procedural images of one coloured shape on a black background with known generating factors, for tests and
/// small experiments. Rendering is batched: signed distances on a coordinate grid become antialiased coverage
/// (about one pixel of soft edge). Everything is drawn from a generator seeded by the caller, so equal arguments
/// give equal images.
/// <para>
/// Coordinates are normalised: x from −1 (left edge) to +1 (right edge), y from −1 (top) to +1 (bottom).
/// Latent columns: <see cref="AngleColumn"/> rotation in radians, counter-clockwise as displayed, uniform in
/// <c>[−π/4, π/4)</c> (inside every shape's symmetry period, so it is identifiable — except for the disk, whose
/// rotation is invisible); <see cref="HueColumn"/> hue in <c>[0, 1)</c> (saturation and value 1);
/// <see cref="CenterXColumn"/>/<see cref="CenterYColumn"/> centre uniform in <c>[−0.25, 0.25]</c>;
/// <see cref="ScaleColumn"/> size uniform in <c>[0.35, 0.55]</c> (the disk's radius; shapes stay inside the image).
/// Labels are balanced (counts differ by at most one) and shuffled.
/// </para>
/// </summary>
public static class SyntheticShapes
{
    /// <summary>Latent column of the rotation angle (radians).</summary>
    public const int AngleColumn = 0;

    /// <summary>Latent column of the hue.</summary>
    public const int HueColumn = 1;

    /// <summary>Latent column of the centre's x coordinate.</summary>
    public const int CenterXColumn = 2;

    /// <summary>Latent column of the centre's y coordinate.</summary>
    public const int CenterYColumn = 3;

    /// <summary>Latent column of the scale.</summary>
    public const int ScaleColumn = 4;

    /// <summary>Number of latent columns.</summary>
    public const int LatentCount = 5;

    /// <summary>Largest absolute rotation angle, π/4.</summary>
    public const double MaxAngle = Math.PI / 4;

    /// <summary>Largest absolute centre coordinate.</summary>
    public const double MaxOffset = 0.25;

    /// <summary>Smallest scale.</summary>
    public const double MinScale = 0.35;

    /// <summary>Largest scale.</summary>
    public const double MaxScale = 0.55;

    /// <summary>Shape names, index = label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["square", "disk", "triangle", "cross", "ellipse"];

    /// <summary>Latent column names, index = column.</summary>
    public static IReadOnlyList<string> LatentNames { get; } = ["angle", "hue", "center_x", "center_y", "scale"];

    private const int Chunk = 512;

    /// <summary>Generates <paramref name="count"/> images of <paramref name="imageSize"/>² pixels.</summary>
    /// <param name="count">Number of images, ≥ 1.</param>
    /// <param name="imageSize">Side S in pixels, ≥ 8.</param>
    /// <param name="seed">Seed of all random factors.</param>
    /// <returns>The dataset (uint8 <c>(N, 3, S, S)</c>, labels, shape names) and the float32 latents <c>(N, 5)</c>, on the CPU.</returns>
    public static SyntheticShapesData Generate(int count, int imageSize, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 8);
        TorchNative.EnsureLoaded();
        using var scope = NewDisposeScope();
        using var generator = new Generator(unchecked((ulong)seed));

        var classes = ClassNames.Count;
        var labels = (arange(count, dtype: ScalarType.Int64) % classes).index_select(0, randperm(count, generator: generator));
        var uniform = rand([count, LatentCount], generator: generator);
        var low = tensor(new float[] { (float)-MaxAngle, 0, (float)-MaxOffset, (float)-MaxOffset, (float)MinScale });
        var high = tensor(new float[] { (float)MaxAngle, 1, (float)MaxOffset, (float)MaxOffset, (float)MaxScale });
        var latents = low + uniform * (high - low);

        var images = empty([count, 3, imageSize, imageSize], ScalarType.Byte);
        for (var start = 0; start < count; start += Chunk)
        {
            using var chunkScope = NewDisposeScope();
            var n = Math.Min(Chunk, count - start);
            images.narrow(0, start, n).copy_(Render(labels.narrow(0, start, n), latents.narrow(0, start, n), imageSize));
        }
        var dataset = new ImageDataset(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), ClassNames);
        return new SyntheticShapesData(dataset, latents.MoveToOuterDisposeScope());
    }

    /// <summary>Renders labels <c>(n)</c> with latents <c>(n, 5)</c> to uint8 <c>(n, 3, S, S)</c>.</summary>
    internal static Tensor Render(Tensor labels, Tensor latents, int size)
    {
        var n = labels.shape[0];
        var column = (int c) => latents.select(1, c).view(n, 1, 1);
        var (angle, hue, cx, cy, scale) = (column(AngleColumn), column(HueColumn), column(CenterXColumn), column(CenterYColumn), column(ScaleColumn));

        // Pixel centres in normalised coordinates; local coordinates (u right, v up) of the rotated shape frame.
        var axis = (arange(size, dtype: ScalarType.Float32) + 0.5f) * (2f / size) - 1f;
        var dx = axis.view(1, 1, size) - cx;
        var dyUp = -(axis.view(1, size, 1) - cy);
        var (cos, sin) = (angle.cos(), angle.sin());
        var u = (cos * dx + sin * dyUp) / scale;
        var v = (cos * dyUp - sin * dx) / scale;

        // Signed distances in units of the scale (negative inside), one channel per class.
        var square = maximum(u.abs(), v.abs()) - 0.8f;
        var disk = (u.square() + v.square()).sqrt() - 1f;
        var triangle = maximum(maximum(-v, 0.866f * u + 0.5f * v), -0.866f * u + 0.5f * v) - 0.6f;
        var cross = minimum(maximum(u.abs() - 1f, v.abs() - 0.3f), maximum(u.abs() - 0.3f, v.abs() - 1f));
        var ellipse = ((u / 1f).square() + (v / 0.55f).square()).sqrt().sub(1f).mul(0.55f);
        var all = stack([square, disk, triangle, cross, ellipse], 1);
        var distance = all.gather(1, labels.view(n, 1, 1, 1).expand(n, 1, size, size)).squeeze(1) * scale;

        // Coverage: one pixel (2 / S in normalised units) of linear ramp across the edge.
        var alpha = (0.5f - distance * (size / 2f)).clamp(0, 1).unsqueeze(1);
        var rgb = HueToRgb(hue.view(n, 1, 1, 1));
        return (alpha * rgb * 255f).round().clamp(0, 255).to(ScalarType.Byte);
    }

    /// <summary>HSV → RGB with saturation and value 1: hue <c>(n, 1, 1, 1)</c> in [0, 1) → <c>(n, 3, 1, 1)</c> in [0, 1].</summary>
    private static Tensor HueToRgb(Tensor hue)
    {
        var h6 = hue * 6f;
        var r = ((h6 - 3f).abs() - 1f).clamp(0, 1);
        var g = (2f - (h6 - 2f).abs()).clamp(0, 1);
        var b = (2f - (h6 - 4f).abs()).clamp(0, 1);
        return cat([r, g, b], 1);
    }
}
