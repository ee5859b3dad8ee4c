using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class GaussianBlurTests
{
    [Fact]
    public void Variance_decreases_monotonically_with_sigma()
    {
        using var scope = torch.NewDisposeScope();
        var image = RandomImages(1);
        var sigmas = new[] { 0.1f, 0.5f, 1.0f, 1.5f, 2.0f };
        var images = image.expand(sigmas.Length, 3, 16, 16).contiguous();
        var result = new GaussianBlur().Apply(images, torch.tensor(sigmas).view(-1, 1));
        var variance = result.var([1, 2, 3]).data<float>().ToArray();
        for (var i = 1; i < variance.Length; i++)
            variance[i].Should().BeLessThan(variance[i - 1], $"σ = {sigmas[i]} must blur more than σ = {sigmas[i - 1]}");
    }

    [Fact]
    public void Smallest_sigma_is_nearly_the_identity_and_a_constant_image_stays_constant()
    {
        using var scope = torch.NewDisposeScope();
        var blur = new GaussianBlur();
        var images = RandomImages(2);
        MaxAbsDiff(blur.Apply(images, Params([0.1f], [0.1f])), images).Should().BeLessThan(1e-5);
        var grey = torch.full([2, 3, 16, 16], 0.3f);
        MaxAbsDiff(blur.Apply(grey, Params([2f], [0.7f])), grey).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Each_image_is_blurred_with_its_own_sigma()
    {
        using var scope = torch.NewDisposeScope();
        var blur = new GaussianBlur();
        var images = RandomImages(2);
        var batched = blur.Apply(images, Params([1.8f], [0.6f]));
        var first = blur.Apply(images[0..1], Params([1.8f]));
        var second = blur.Apply(images[1..2], Params([0.6f]));
        MaxAbsDiff(batched, torch.cat([first, second], 0)).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Blur_matches_a_direct_two_dimensional_gaussian_in_the_interior()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(1);
        const float sigma = 1.2f;
        var result = new GaussianBlur().Apply(images, Params([sigma]));
        // Reference at pixel (8, 8) with the same truncated kernel (K = 13).
        var offsets = torch.arange(-6, 7, ScalarType.Float32);
        var k1 = (-(offsets * offsets) / (2 * sigma * sigma)).exp();
        k1 /= k1.sum();
        var k2 = k1.view(-1, 1) * k1.view(1, -1);
        var patch = images[0, .., 2..15, 2..15];
        var expected = (patch * k2).sum([1, 2]);
        MaxAbsDiff(result[0, .., 8, 8], expected).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Kernel_size_follows_the_largest_sigma_and_is_capped_by_the_image()
    {
        var blur = new GaussianBlur();
        blur.KernelSize(32, 32).Should().Be(13);
        blur.KernelSize(4, 5).Should().Be(7);
        new GaussianBlur(new GaussianBlurOptions { MinSigma = 0.1, MaxSigma = 0.5 }).KernelSize(32, 32).Should().Be(5);
        using var scope = torch.NewDisposeScope();
        var tiny = RandomImages(2, 3, 3);
        blur.Apply(tiny, Params([2f], [1f])).shape.Should().Equal(2, 3, 3, 3);
    }

    [Fact]
    public void Sampled_sigmas_lie_within_the_range()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(4);
        var sigma = new GaussianBlur().Sample(256, generator, torch.CPU);
        sigma.min().item<float>().Should().BeGreaterThanOrEqualTo(0.1f);
        sigma.max().item<float>().Should().BeLessThanOrEqualTo(2.0f);
        new GaussianBlur().ParameterNames.Should().Equal("sigma");
    }

    [Theory]
    [InlineData(0.0, 2.0, "MinSigma")]
    [InlineData(-1.0, 2.0, "MinSigma")]
    [InlineData(1.5, 1.0, "MinSigma")]
    [InlineData(0.1, -2.0, "MaxSigma")]
    [InlineData(0.1, 100.0, "MaxSigma")]
    public void Out_of_range_options_throw_naming_the_option(double min, double max, string name)
    {
        var act = () => new GaussianBlur(new GaussianBlurOptions { MinSigma = min, MaxSigma = max });
        act.Should().Throw<ArgumentException>().WithMessage($"{name} must be in*");
    }
}
