using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Data;

public sealed class SyntheticShapesTests
{
    public SyntheticShapesTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void Same_seed_gives_the_same_data_and_another_seed_does_not()
    {
        using var scope = NewDisposeScope();
        using var a = SyntheticShapes.Generate(20, 16, seed: 5);
        using var b = SyntheticShapes.Generate(20, 16, seed: 5);
        using var c = SyntheticShapes.Generate(20, 16, seed: 6);
        a.Dataset.Images.eq(b.Dataset.Images).all().item<bool>().Should().BeTrue();
        a.Dataset.Labels.eq(b.Dataset.Labels).all().item<bool>().Should().BeTrue();
        a.Latents.eq(b.Latents).all().item<bool>().Should().BeTrue();
        a.Latents.eq(c.Latents).all().item<bool>().Should().BeFalse();
    }

    [Fact]
    public void Labels_are_balanced_and_latents_in_their_documented_ranges()
    {
        using var scope = NewDisposeScope();
        using var data = SyntheticShapes.Generate(53, 32, seed: 1);
        data.Dataset.Images.shape.Should().Equal(53, 3, 32, 32);
        data.Dataset.ClassNames.Should().Equal(SyntheticShapes.ClassNames);
        data.Dataset.Labels.bincount(null).data<long>().ToArray().Should().Equal(11, 11, 11, 10, 10);
        data.Latents.shape.Should().Equal(53, SyntheticShapes.LatentCount);

        (double Min, double Max) Range(int column) => (data.Latents[.., column].min().item<float>(), data.Latents[.., column].max().item<float>());
        Range(SyntheticShapes.AngleColumn).Min.Should().BeGreaterThanOrEqualTo(-Math.PI / 4 - 1e-6);
        Range(SyntheticShapes.AngleColumn).Max.Should().BeLessThanOrEqualTo(Math.PI / 4 + 1e-6);
        Range(SyntheticShapes.HueColumn).Min.Should().BeGreaterThanOrEqualTo(0);
        Range(SyntheticShapes.HueColumn).Max.Should().BeLessThan(1);
        foreach (var column in new[] { SyntheticShapes.CenterXColumn, SyntheticShapes.CenterYColumn })
        {
            Range(column).Min.Should().BeGreaterThanOrEqualTo(-SyntheticShapes.MaxOffset - 1e-6);
            Range(column).Max.Should().BeLessThanOrEqualTo(SyntheticShapes.MaxOffset + 1e-6);
        }
        Range(SyntheticShapes.ScaleColumn).Min.Should().BeGreaterThanOrEqualTo(SyntheticShapes.MinScale - 1e-6);
        Range(SyntheticShapes.ScaleColumn).Max.Should().BeLessThanOrEqualTo(SyntheticShapes.MaxScale + 1e-6);

        // Every image shows a shape, and no shape touches the border.
        var images = data.Dataset.Images;
        images.amax([1L, 2L, 3L]).min().item<byte>().Should().BeGreaterThan(200);
        images[.., .., 0].max().item<byte>().Should().Be(0);
        images[.., .., 31].max().item<byte>().Should().Be(0);
        images[.., .., .., 0].max().item<byte>().Should().Be(0);
        images[.., .., .., 31].max().item<byte>().Should().Be(0);
    }

    /// <summary>Latents (angle, hue, cx, cy, scale) for one image.</summary>
    private static Tensor Latent(float angle, float hue, float cx, float cy, float scale) => tensor(new[] { angle, hue, cx, cy, scale }).unsqueeze(0);

    [Fact]
    public void Square_is_centred_at_its_position_and_coloured_by_its_hue()
    {
        using var scope = NewDisposeScope();
        // Square (label 0), hue 1/3 (pure green), centre (0.25, -0.25) → pixel column (0.25 + 1) / 2 · 32 = 20, row 12.
        var image = SyntheticShapes.Render(tensor(new long[] { 0 }), Latent(0.3f, 1f / 3, 0.25f, -0.25f, 0.4f), 32);
        image[0, 0].max().item<byte>().Should().Be(0);
        image[0, 2].max().item<byte>().Should().Be(0);
        var mass = image[0, 1].to(ScalarType.Float64);
        var total = mass.sum().item<double>();
        var coords = arange(32, dtype: ScalarType.Float64) + 0.5;
        (mass.sum(0L) * coords).sum().item<double>().Should().BeApproximately(20 * total, 0.05 * total);
        (mass.sum(1L) * coords).sum().item<double>().Should().BeApproximately(12 * total, 0.05 * total);
    }

    [Fact]
    public void Angle_rotates_counter_clockwise_as_displayed()
    {
        using var scope = NewDisposeScope();
        // The triangle's apex points up at angle 0; after +90° it points left. The line through the centre parallel to the
        // base splits the area 5/9 (base side) to 4/9 (apex side), a ratio of 1.25.
        var up = SyntheticShapes.Render(tensor(new long[] { 2 }), Latent(0, 0, 0, 0, 0.5f), 32)[0, 0].to(ScalarType.Float64);
        var left = SyntheticShapes.Render(tensor(new long[] { 2 }), Latent((float)(Math.PI / 2), 0, 0, 0, 0.5f), 32)[0, 0].to(ScalarType.Float64);
        up[16..].sum().item<double>().Should().BeGreaterThan(up[..16].sum().item<double>() * 1.15);
        left[.., 16..].sum().item<double>().Should().BeGreaterThan(left[.., ..16].sum().item<double>() * 1.15);
    }
}
