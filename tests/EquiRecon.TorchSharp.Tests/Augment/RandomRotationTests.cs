using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class RandomRotationTests
{
    [Fact]
    public void Rotating_by_theta_then_minus_theta_restores_the_centre_of_a_smooth_image()
    {
        using var scope = torch.NewDisposeScope();
        var rotation = new RandomRotation();
        var images = SmoothImages(3);
        var angles = Params([30f], [-45f], [12.5f]);

        var back = rotation.Apply(rotation.Apply(images, angles), -angles);

        var centre = (TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(4, 12), TensorIndex.Slice(4, 12));
        MeanAbsDiff(back[centre.Item1, centre.Item2, centre.Item3, centre.Item4], images[centre.Item1, centre.Item2, centre.Item3, centre.Item4])
            .Should().BeLessThan(0.05);
    }

    [Fact]
    public void Angle_zero_is_the_identity()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2, 10, 14);
        var result = new RandomRotation().Apply(images, torch.zeros(2, 1));
        MaxAbsDiff(result, images).Should().BeLessThan(1e-5);
    }

    [Fact]
    public void Positive_angles_rotate_counter_clockwise_as_displayed()
    {
        using var scope = torch.NewDisposeScope();
        // 15×15: the centre is pixel (7, 7); a dot right of it must move above it.
        var images = torch.zeros(1, 3, 15, 15);
        images[0, .., 7, 11] = torch.tensor(1f);
        var result = new RandomRotation().Apply(images, Params([90f]));
        result[0, 0, 3, 7].item<float>().Should().BeApproximately(1f, 1e-4f);
        result.sum().item<float>().Should().BeApproximately(3f, 1e-3f);
    }

    [Fact]
    public void Rotation_of_a_non_square_image_by_180_degrees_equals_flipping_both_axes()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2, 8, 12);
        var result = new RandomRotation().Apply(images, Params([180f], [-180f]));
        MaxAbsDiff(result, images.flip(2, 3)).Should().BeLessThan(1e-4);
    }

    [Fact]
    public void Sampled_angles_lie_within_the_range()
    {
        using var scope = torch.NewDisposeScope();
        using var generator = new Generator(11);
        var angles = new RandomRotation(new RandomRotationOptions { MaxDegrees = 20 }).Sample(256, generator, torch.CPU);
        angles.min().item<float>().Should().BeGreaterThanOrEqualTo(-20f);
        angles.max().item<float>().Should().BeLessThanOrEqualTo(20f);
        angles.abs().max().item<float>().Should().BeGreaterThan(15f, "the samples should spread over the range");
    }

    [Theory]
    [InlineData(-1.0)]
    [InlineData(181.0)]
    [InlineData(double.NaN)]
    public void Out_of_range_options_throw_naming_the_option(double maxDegrees)
    {
        var act = () => new RandomRotation(new RandomRotationOptions { MaxDegrees = maxDegrees });
        act.Should().Throw<ArgumentException>().WithMessage("*MaxDegrees*[0, 180]*");
    }

    [Fact]
    public void Reports_one_parameter_named_angle()
    {
        var rotation = new RandomRotation();
        rotation.ParameterNames.Should().Equal("angle");
        rotation.Kind.Should().Be(TransformKind.Rotation);
        rotation.Options.MaxDegrees.Should().Be(45);
    }
}
