using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

/// <summary>What every <see cref="IAugmentation"/> must do, checked for each kind.</summary>
public sealed class AugmentationContractTests
{
    public static TheoryData<TransformKind> KindData => Kinds();

    [Theory]
    [MemberData(nameof(KindData))]
    public void Sample_has_shape_B_by_k_float32_and_is_reproducible_from_the_seed(TransformKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var augmentation = Of(kind);
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        var p1 = augmentation.Sample(16, g1, torch.CPU);
        var p2 = augmentation.Sample(16, g2, torch.CPU);

        augmentation.Kind.Should().Be(kind);
        p1.shape.Should().Equal(16, augmentation.ParameterNames.Count);
        p1.dtype.Should().Be(ScalarType.Float32);
        p1.device.type.Should().Be(DeviceType.CPU);
        Identical(p1, p2).Should().BeTrue("the same seed must give the same parameters");
        var p3 = augmentation.Sample(16, g1, torch.CPU);
        Identical(p1, p3).Should().BeFalse("a generator that moved on gives new parameters");
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void Applying_the_sampled_parameters_twice_gives_identical_images_of_the_same_shape(TransformKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var augmentation = Of(kind);
        var images = RandomImages(3);
        using var generator = new Generator(3);
        var parameters = augmentation.Sample(3, generator, images.device);

        var first = augmentation.Apply(images, parameters);
        var second = augmentation.Apply(images, parameters);

        first.shape.Should().Equal(images.shape);
        first.dtype.Should().Be(ScalarType.Float32);
        Identical(first, second).Should().BeTrue();
        torch.isfinite(first).all().item<bool>().Should().BeTrue();
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void Works_for_a_single_non_square_image(TransformKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var augmentation = Of(kind);
        var images = RandomImages(1, 12, 16);
        using var generator = new Generator(5);
        var result = augmentation.Apply(images, augmentation.Sample(1, generator, images.device));
        result.shape.Should().Equal(1, 3, 12, 16);
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void Wrong_parameter_shape_throws_an_ArgumentException_naming_both_shapes(TransformKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var augmentation = Of(kind);
        var images = RandomImages(2);
        var k = augmentation.ParameterNames.Count;

        var wrongK = () => augmentation.Apply(images, torch.zeros(2, k + 1));
        wrongK.Should().Throw<ArgumentException>()
            .WithMessage($"*(2, {k})*(2, {k + 1})*").And.ParamName.Should().Be("parameters");
        var wrongB = () => augmentation.Apply(images, torch.zeros(3, k));
        wrongB.Should().Throw<ArgumentException>().WithMessage($"*(2, {k})*(3, {k})*");
        var flat = () => augmentation.Apply(images, torch.zeros(2 * k));
        flat.Should().Throw<ArgumentException>();
    }

    [Theory]
    [MemberData(nameof(KindData))]
    public void Bad_images_and_batch_sizes_throw(TransformKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var augmentation = Of(kind);
        var k = augmentation.ParameterNames.Count;
        var gray = () => augmentation.Apply(torch.rand(2, 1, 8, 8), torch.zeros(2, k));
        gray.Should().Throw<ArgumentException>().WithMessage("*(B, 3, H, W)*(2, 1, 8, 8)*");
        var bytes = () => augmentation.Apply(torch.zeros([2, 3, 8, 8], ScalarType.Byte), torch.zeros(2, k));
        bytes.Should().Throw<ArgumentException>().WithMessage("*ToFloat*");
        using var generator = new Generator(1);
        var empty = () => augmentation.Sample(0, generator, torch.CPU);
        empty.Should().Throw<ArgumentOutOfRangeException>();
    }
}
