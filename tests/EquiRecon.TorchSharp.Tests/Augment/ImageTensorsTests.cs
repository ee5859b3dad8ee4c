using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class ImageTensorsTests
{
    [Fact]
    public void ToFloat_maps_bytes_to_the_unit_interval()
    {
        TorchNative.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var bytes = torch.tensor(new byte[] { 0, 51, 255 }).view(1, 3, 1, 1).expand(2, 3, 2, 2);
        var images = ImageTensors.ToFloat(bytes);
        images.dtype.Should().Be(ScalarType.Float32);
        images.shape.Should().Equal(2, 3, 2, 2);
        images[1, .., 0, 0].data<float>().ToArray().Should().Equal(0f, 0.2f, 1f);
    }

    [Fact]
    public void ToFloat_rejects_other_dtypes_and_shapes()
    {
        TorchNative.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var floats = () => ImageTensors.ToFloat(torch.zeros(1, 3, 2, 2));
        floats.Should().Throw<ArgumentException>().WithMessage("*uint8*Float32*");
        var gray = () => ImageTensors.ToFloat(torch.zeros([1, 1, 2, 2], ScalarType.Byte));
        gray.Should().Throw<ArgumentException>().WithMessage("*(B, 3, H, W)*(1, 1, 2, 2)*");
    }

    [Fact]
    public void Normalize_standardizes_each_channel()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2, 4, 4);
        var result = ImageTensors.Normalize(images, ImageTensors.Cifar10Mean, ImageTensors.Cifar10Std);
        result.shape.Should().Equal(images.shape);
        var expected = (images[.., 1] - 0.4822f) / 0.2435f;
        MaxAbsDiff(result[.., 1], expected).Should().BeLessThan(1e-5);
        var plain = ImageTensors.Normalize(images, new[] { 0.5f, 0.5f, 0.5f }, new[] { 0.5f, 0.5f, 0.5f });
        MaxAbsDiff(plain, images * 2 - 1).Should().BeLessThan(1e-6);
    }

    [Fact]
    public void Normalize_rejects_mismatched_lengths_and_non_positive_std()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(1, 4, 4);
        var shortMean = () => ImageTensors.Normalize(images, new[] { 0.5f, 0.5f }, ImageTensors.Cifar10Std);
        shortMean.Should().Throw<ArgumentException>().WithMessage("Expected 3 means*got 2*").And.ParamName.Should().Be("mean");
        var zeroStd = () => ImageTensors.Normalize(images, ImageTensors.Cifar10Mean, new[] { 0.2f, 0f, 0.2f });
        zeroStd.Should().Throw<ArgumentException>().WithMessage("*positive*").And.ParamName.Should().Be("std");
        ImageTensors.Cifar10Mean.Should().HaveCount(3);
        ImageTensors.Cifar10Std.Should().HaveCount(3);
    }
}
