using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class ColorJitterTests
{
    [Fact]
    public void Zero_offsets_are_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(3);
        var result = new ColorJitter().Apply(images, torch.zeros(3, 4));
        MaxAbsDiff(result, images).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Brightness_offset_multiplies_a_grey_image_by_one_plus_the_offset()
    {
        using var scope = torch.NewDisposeScope();
        var grey = torch.full([2, 3, 8, 8], 0.5f);
        var result = new ColorJitter().Apply(grey, Params([0.2f, 0, 0, 0], [-0.4f, 0, 0, 0]));
        MaxAbsDiff(result[0], torch.full([3, 8, 8], 0.6f)).Should().BeLessThan(1e-5);
        MaxAbsDiff(result[1], torch.full([3, 8, 8], 0.3f)).Should().BeLessThan(1e-5);
    }

    [Theory]
    [InlineData(1.0f)]
    [InlineData(-1.0f)]
    [InlineData(0.0f)]
    public void A_hue_shift_by_a_whole_turn_is_the_identity(float turns)
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2);
        var result = new ColorJitter().Apply(images, Params([0, 0, 0, turns], [0, 0, 0, turns]));
        MaxAbsDiff(result, images).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void A_hue_shift_of_a_third_turns_red_into_green_and_green_into_blue()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.zeros(2, 3, 4, 4);
        images[0, 0] = torch.tensor(0.8f);
        images[1, 1] = torch.tensor(0.6f);
        var result = new ColorJitter().Apply(images, Params([0, 0, 0, 1f / 3], [0, 0, 0, 1f / 3]));
        MaxAbsDiff(result[0], torch.stack([torch.zeros(4, 4), torch.full([4, 4], 0.8f), torch.zeros(4, 4)])).Should().BeLessThan(1e-4);
        MaxAbsDiff(result[1], torch.stack([torch.zeros(4, 4), torch.zeros(4, 4), torch.full([4, 4], 0.6f)])).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void Hue_shifts_of_opposite_sign_cancel_on_a_colourful_image()
    {
        using var scope = torch.NewDisposeScope();
        var jitter = new ColorJitter();
        var images = SmoothImages(2);
        var there = jitter.Apply(images, Params([0, 0, 0, 0.1f], [0, 0, 0, -0.07f]));
        var back = jitter.Apply(there, Params([0, 0, 0, -0.1f], [0, 0, 0, 0.07f]));
        MaxAbsDiff(back, images).Should().BeLessThan(1e-4);
        MeanAbsDiff(there, images).Should().BeGreaterThan(0.01, "a hue shift must change a colourful image");
    }

    [Fact]
    public void Saturation_offset_minus_one_gives_the_grayscale_image()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2);
        var result = new ColorJitter().Apply(images, Params([0, 0, -1f, 0], [0, 0, -1f, 0]));
        var gray = 0.2989f * images[.., 0] + 0.587f * images[.., 1] + 0.114f * images[.., 2];
        for (var c = 0; c < 3; c++)
            MaxAbsDiff(result[.., c], gray).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Contrast_offset_minus_one_gives_the_per_image_mean_grey()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2);
        var result = new ColorJitter().Apply(images, Params([0, -1f, 0, 0], [0, -1f, 0, 0]));
        var gray = 0.2989f * images[.., 0] + 0.587f * images[.., 1] + 0.114f * images[.., 2];
        var mean = gray.mean([1, 2]).view(2, 1, 1, 1).expand(2, 3, 16, 16);
        MaxAbsDiff(result, mean).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Offsets_act_per_image_and_results_stay_in_the_unit_interval()
    {
        using var scope = torch.NewDisposeScope();
        var jitter = new ColorJitter();
        var images = RandomImages(2);
        var both = jitter.Apply(images, Params([0.9f, 0.3f, -0.2f, 0.05f], [0, 0, 0, 0]));
        var alone = jitter.Apply(images[0..1], Params([0.9f, 0.3f, -0.2f, 0.05f]));
        MaxAbsDiff(both[0..1], alone).Should().BeLessThan(1e-6);
        MaxAbsDiff(both[1], images[1]).Should().BeLessThan(1e-5);
        both.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        both.max().item<float>().Should().BeLessThanOrEqualTo(1f);
    }

    [Fact]
    public void Sampled_offsets_lie_within_their_ranges()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(9);
        var options = new ColorJitterOptions { Brightness = 0.4, Contrast = 0.3, Saturation = 0.2, Hue = 0.1 };
        var p = new ColorJitter(options).Sample(512, generator, torch.CPU);
        var limits = new[] { 0.4f, 0.3f, 0.2f, 0.1f };
        for (var j = 0; j < 4; j++)
        {
            p[.., j].abs().max().item<float>().Should().BeLessThanOrEqualTo(limits[j]);
            p[.., j].abs().max().item<float>().Should().BeGreaterThan(0.8f * limits[j]);
        }
        new ColorJitter().ParameterNames.Should().Equal("brightness", "contrast", "saturation", "hue");
    }

    [Theory]
    [InlineData(-0.1, 0.4, 0.4, 0.1, "Brightness")]
    [InlineData(0.4, 1.5, 0.4, 0.1, "Contrast")]
    [InlineData(0.4, 0.4, -1, 0.1, "Saturation")]
    [InlineData(0.4, 0.4, 0.4, 0.6, "Hue")]
    public void Out_of_range_options_throw_naming_the_option(double b, double c, double s, double h, string name)
    {
        var act = () => new ColorJitter(new ColorJitterOptions { Brightness = b, Contrast = c, Saturation = s, Hue = h });
        act.Should().Throw<ArgumentException>().WithMessage($"{name} must be in*");
    }
}
