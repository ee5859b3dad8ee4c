using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class RandomResizedCropTests
{
    [Fact]
    public void Full_image_box_is_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2, 10, 16);
        var result = new RandomResizedCrop().Apply(images, Params([0, 0, 1, 1], [0, 0, 1, 1]));
        MaxAbsDiff(result, images).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Box_is_stretched_over_the_output()
    {
        using var scope = torch.NewDisposeScope();
        // A horizontal ramp whose value is the pixel centre's x fraction; bilinear sampling reproduces ramps exactly.
        var ramp = ((torch.arange(16, ScalarType.Float32) + 0.5f) / 16).view(1, 1, 1, 16).expand(1, 3, 16, 16).contiguous();
        var result = new RandomResizedCrop().Apply(ramp, Params([0.25f, 0.1f, 0.5f, 0.6f]));
        var expected = (0.25f + 0.5f * (torch.arange(16, ScalarType.Float32) + 0.5f) / 16).view(1, 1, 1, 16).expand(1, 3, 16, 16);
        MaxAbsDiff(result, expected).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Sampled_boxes_lie_inside_the_image_with_scale_and_ratio_in_range()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(8);
        var boxes = new RandomResizedCrop().Sample(512, generator, torch.CPU);
        var x0 = boxes[.., 0];
        var y0 = boxes[.., 1];
        var w = boxes[.., 2];
        var h = boxes[.., 3];
        boxes.min().item<float>().Should().BeGreaterThanOrEqualTo(0f);
        (x0 + w).max().item<float>().Should().BeLessThanOrEqualTo(1f + 1e-6f);
        (y0 + h).max().item<float>().Should().BeLessThanOrEqualTo(1f + 1e-6f);
        var area = w * h;
        area.min().item<float>().Should().BeGreaterThanOrEqualTo(0.2f - 1e-5f);
        area.max().item<float>().Should().BeLessThanOrEqualTo(1f + 1e-5f);
        var ratio = w / h;
        ratio.min().item<float>().Should().BeGreaterThanOrEqualTo(0.75f - 1e-5f);
        ratio.max().item<float>().Should().BeLessThanOrEqualTo(4f / 3f + 1e-5f);
        area.mean().item<float>().Should().BeInRange(0.45f, 0.75f, "areas are spread over [0.2, 1]");
        new RandomResizedCrop().ParameterNames.Should().Equal("x0", "y0", "w", "h");
    }

    [Fact]
    public void Boxes_that_never_fit_fall_back_to_the_largest_box_at_an_allowed_ratio()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(1);
        var crop = new RandomResizedCrop(new RandomResizedCropOptions { MinScale = 1, MaxScale = 1, MinRatio = 2, MaxRatio = 3, Attempts = 3 });
        var boxes = crop.Sample(16, generator, torch.CPU);
        MaxAbsDiff(boxes[.., 0], torch.zeros(16)).Should().BeLessThan(1e-6);
        MaxAbsDiff(boxes[.., 2], torch.ones(16)).Should().BeLessThan(1e-6);
        MaxAbsDiff(boxes[.., 3], torch.full(16, 0.5f)).Should().BeLessThan(1e-6);
        (boxes[.., 1] + boxes[.., 3]).max().item<float>().Should().BeLessThanOrEqualTo(1f);
    }

    [Theory]
    [InlineData(0.0, 1.0, 0.75, 1.33, 10, "MinScale")]
    [InlineData(0.5, 0.4, 0.75, 1.33, 10, "MinScale")]
    [InlineData(0.2, 1.5, 0.75, 1.33, 10, "MaxScale")]
    [InlineData(0.2, 1.0, 2.0, 1.0, 10, "MinRatio")]
    [InlineData(0.2, 1.0, -1.0, 1.33, 10, "MinRatio")]
    [InlineData(0.2, 1.0, 0.75, 1.33, 0, "Attempts")]
    public void Out_of_range_options_throw_naming_the_option(double minScale, double maxScale, double minRatio, double maxRatio, int attempts, string name)
    {
        var options = new RandomResizedCropOptions { MinScale = minScale, MaxScale = maxScale, MinRatio = minRatio, MaxRatio = maxRatio, Attempts = attempts };
        var act = () => new RandomResizedCrop(options);
        act.Should().Throw<ArgumentException>().WithMessage($"{name} must be in*");
    }
}
