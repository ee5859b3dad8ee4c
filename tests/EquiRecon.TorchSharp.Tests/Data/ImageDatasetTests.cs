using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Data;

public sealed class ImageDatasetTests
{
    public ImageDatasetTests() => TorchNative.EnsureLoaded();

    /// <summary>Four 2×2 images whose every pixel equals the sample index; labels 3, 2, 1, 0.</summary>
    private static ImageDataset Sample() => new(
        arange(4, dtype: ScalarType.Byte).view(4, 1, 1, 1).expand(4, 3, 2, 2).contiguous(),
        tensor(new long[] { 3, 2, 1, 0 }),
        ["a", "b", "c", "d"]);

    [Fact]
    public void Batch_subset_and_take_select_samples()
    {
        using var scope = NewDisposeScope();
        using var data = Sample();
        data.Count.Should().Be(4);
        (data.Height, data.Width).Should().Be((2, 2));

        var (images, labels) = data.Batch(tensor(new long[] { 2, 0 }));
        images.shape.Should().Equal(2, 3, 2, 2);
        images[.., 0, 0, 0].data<byte>().ToArray().Should().Equal(2, 0);
        labels.data<long>().ToArray().Should().Equal(1, 3);

        using var subset = data.Subset(tensor(new long[] { 3 }));
        subset.Count.Should().Be(1);
        subset.Labels.item<long>().Should().Be(0);
        subset.ClassNames.Should().Equal("a", "b", "c", "d");

        using var first = data.Take(2);
        first.Labels.data<long>().ToArray().Should().Equal(3, 2);
    }

    [Fact]
    public void Wrong_dtypes_and_shapes_are_named()
    {
        using var scope = NewDisposeScope();
        var floatImages = () => new ImageDataset(zeros(2, 3, 4, 4), zeros(2, dtype: ScalarType.Int64), ["x"]);
        floatImages.Should().Throw<ArgumentException>().WithMessage("*uint8*(N, 3, H, W)*Float32*[2, 3, 4, 4]*");
        var labels = () => new ImageDataset(zeros(2, 3, 4, 4, dtype: ScalarType.Byte), zeros(3, dtype: ScalarType.Int64), ["x"]);
        labels.Should().Throw<ArgumentException>().WithMessage("*(2)*[3]*");
        using var data = Sample();
        var badIndex = () => data.Batch(tensor(new[] { 0, 1 }));
        badIndex.Should().Throw<ArgumentException>().WithMessage("*int64*Int32*");
    }
}
