using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class RandomTranslationTests
{
    [Fact]
    public void Integer_shift_equals_roll_inside_the_valid_region_and_zero_outside()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2);
        // Image 0: 2 px right, 1 px up. Image 1: 3 px left, 2 px down.
        var result = new RandomTranslation().Apply(images, Params([2f, -1f], [-3f, 2f]));

        var rolled0 = images[0].roll([-1, 2], [1, 2]);
        MaxAbsDiff(result[0, .., 0..15, 2..], rolled0[.., 0..15, 2..]).Should().BeLessThan(1e-5);
        result[0, .., .., 0..2].abs().max().item<float>().Should().BeLessThan(1e-6f);
        result[0, .., 15..].abs().max().item<float>().Should().BeLessThan(1e-6f);

        var rolled1 = images[1].roll([2, -3], [1, 2]);
        MaxAbsDiff(result[1, .., 2.., 0..13], rolled1[.., 2.., 0..13]).Should().BeLessThan(1e-5);
        result[1, .., .., 13..].abs().max().item<float>().Should().BeLessThan(1e-6f);
        result[1, .., 0..2].abs().max().item<float>().Should().BeLessThan(1e-6f);
    }

    [Fact]
    public void Half_pixel_shift_averages_neighbours()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(1);
        var result = new RandomTranslation().Apply(images, Params([0.5f, 0f]));
        var expected = 0.5f * (images[.., .., .., 0..15] + images[.., .., .., 1..16]);
        MaxAbsDiff(result[.., .., .., 1..], expected).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Zero_shift_is_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2, 9, 13);
        MaxAbsDiff(new RandomTranslation().Apply(images, torch.zeros(2, 2)), images).Should().BeLessThan(1e-5);
    }

    [Theory]
    [InlineData(32, 1.0)]
    [InlineData(64, 3.0)]
    [InlineData(96, 4.0)]
    [InlineData(224, 10.0)]
    [InlineData(8, 1.0)]
    public void ForImageSize_scales_ten_pixels_at_224(int size, double expected)
    {
        RandomTranslationOptions.ForImageSize(size).MaxPixels.Should().Be(expected);
        new RandomTranslationOptions().MaxPixels.Should().Be(RandomTranslationOptions.ForImageSize(32).MaxPixels);
        var act = () => RandomTranslationOptions.ForImageSize(0);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Sampled_shifts_lie_within_the_range()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(2);
        var shifts = new RandomTranslation(new RandomTranslationOptions { MaxPixels = 3 }).Sample(256, generator, torch.CPU);
        shifts.abs().max().item<float>().Should().BeLessThanOrEqualTo(3f);
        shifts.abs().max().item<float>().Should().BeGreaterThan(2.5f);
        new RandomTranslation().ParameterNames.Should().Equal("dx", "dy");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Out_of_range_options_throw_naming_the_option(double maxPixels)
    {
        var act = () => new RandomTranslation(new RandomTranslationOptions { MaxPixels = maxPixels });
        act.Should().Throw<ArgumentException>().WithMessage("MaxPixels must be in*");
    }
}
