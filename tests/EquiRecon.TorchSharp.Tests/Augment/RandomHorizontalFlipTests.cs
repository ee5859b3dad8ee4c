using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class RandomHorizontalFlipTests
{
    [Fact]
    public void Flipping_twice_is_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var flip = new RandomHorizontalFlip();
        var images = RandomImages(3);
        var flags = Params([1f], [0f], [1f]);
        Identical(flip.Apply(flip.Apply(images, flags), flags), images).Should().BeTrue();
    }

    [Fact]
    public void Flips_exactly_the_images_whose_flag_is_one()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2, 5, 7);
        var result = new RandomHorizontalFlip().Apply(images, Params([1f], [0f]));
        Identical(result[0], images[0].flip(2)).Should().BeTrue();
        Identical(result[1], images[1]).Should().BeTrue();
        result[0, .., .., 0].equal(images[0, .., .., 6]).all().item<bool>().Should().BeTrue();
    }

    [Theory]
    [InlineData(0.0, 0f)]
    [InlineData(1.0, 1f)]
    public void Probability_zero_never_flips_and_one_always_flips(double probability, float expected)
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(3);
        var flags = new RandomHorizontalFlip(new RandomHorizontalFlipOptions { Probability = probability }).Sample(64, generator, torch.CPU);
        Identical(flags, torch.full(64, 1, expected)).Should().BeTrue();
    }

    [Fact]
    public void Default_flips_about_half_and_reports_zero_or_one()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(3);
        var flags = new RandomHorizontalFlip().Sample(400, generator, torch.CPU);
        (flags.eq(0).logical_or(flags.eq(1))).all().item<bool>().Should().BeTrue();
        flags.mean().item<float>().Should().BeInRange(0.4f, 0.6f);
        new RandomHorizontalFlip().ParameterNames.Should().Equal("flip");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    public void Out_of_range_options_throw_naming_the_option(double probability)
    {
        var act = () => new RandomHorizontalFlip(new RandomHorizontalFlipOptions { Probability = probability });
        act.Should().Throw<ArgumentException>().WithMessage("Probability must be in [0, 1]*");
    }
}
