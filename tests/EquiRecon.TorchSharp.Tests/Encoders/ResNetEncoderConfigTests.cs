using EquiRecon.TorchSharp.Encoders;

namespace EquiRecon.TorchSharp.Tests.Encoders;

public sealed class ResNetEncoderConfigTests
{
    [Fact]
    public void Presets_have_the_documented_shapes()
    {
        var paper = ResNetEncoderConfig.CifarResNet18;
        paper.Stem.Should().Be(ResNetStem.Cifar);
        paper.Widths.Should().Equal(64, 128, 256, 512);
        paper.BlocksPerStage.Should().Equal(2, 2, 2, 2);
        paper.Split.Should().Be(new RepresentationSplit(256, 256));
        paper.Channels.Should().Be(512);

        ResNetEncoderConfig.CifarResNet18HalfWidth.Widths.Should().Equal(32, 64, 128, 256);
        ResNetEncoderConfig.CifarResNet18HalfWidth.BlocksPerStage.Should().Equal(2, 2, 2, 2);

        var small = ResNetEncoderConfig.SmallCifarResNet;
        small.Stem.Should().Be(ResNetStem.Cifar);
        small.Widths.Should().Equal(32, 64, 128, 256);
        small.BlocksPerStage.Should().Equal(1, 1, 1, 1);
        small.Split.Should().Be(new RepresentationSplit(128, 128));

        var imageNet = ResNetEncoderConfig.ImageNetResNet18;
        imageNet.Stem.Should().Be(ResNetStem.ImageNet);
        imageNet.Widths.Should().Equal(64, 128, 256, 512);
        imageNet.BlocksPerStage.Should().Equal(2, 2, 2, 2);
    }

    [Theory]
    [InlineData(ResNetStem.Cifar, 32, 4)]
    [InlineData(ResNetStem.Cifar, 64, 8)]
    [InlineData(ResNetStem.Cifar, 33, 5)]
    [InlineData(ResNetStem.ImageNet, 224, 7)]
    [InlineData(ResNetStem.ImageNet, 96, 3)]
    [InlineData(ResNetStem.ImageNet, 100, 4)]
    public void TokenGridSize_divides_by_the_total_stride_rounding_up(ResNetStem stem, int imageSize, int expected)
    {
        var config = new ResNetEncoderConfig(stem, [8, 8, 8, 8], [1, 1, 1, 1]);
        config.TokenGridSize(imageSize).Should().Be(expected);
        config.TotalStride.Should().Be(stem == ResNetStem.Cifar ? 8 : 32);
    }

    [Fact]
    public void TokenGridSize_follows_the_number_of_stages()
    {
        new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16], [1, 1]).TokenGridSize(32).Should().Be(16);
        new ResNetEncoderConfig(ResNetStem.Cifar, [8], [1]).TokenGridSize(32).Should().Be(32);
        var act = () => ResNetEncoderConfig.SmallCifarResNet.TokenGridSize(0);
        act.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("imageSize");
    }

    [Fact]
    public void Invalid_configurations_are_rejected_with_clear_messages()
    {
        var lengths = () => new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16], [1]);
        lengths.Should().Throw<ArgumentException>().WithMessage("*one entry per stage*2 widths and 1 block counts*");

        var empty = () => new ResNetEncoderConfig(ResNetStem.Cifar, [], []);
        empty.Should().Throw<ArgumentException>().WithMessage("*At least one stage*");

        var width = () => new ResNetEncoderConfig(ResNetStem.Cifar, [8, 0], [1, 1], new RepresentationSplit(1, 1));
        width.Should().Throw<ArgumentException>().WithMessage("*width must be positive, got 0 for stage 2*");

        var blocks = () => new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16], [1, 0]);
        blocks.Should().Throw<ArgumentException>().WithMessage("*at least one block, got 0 for stage 2*");

        var split = () => new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16], [1, 1], new RepresentationSplit(4, 4));
        split.Should().Throw<ArgumentException>().WithMessage("*split covers 8 channels (4 + 4)*last width is 16*").WithParameterName("Split");

        var odd = () => new ResNetEncoderConfig(ResNetStem.Cifar, [8, 15], [1, 1]);
        odd.Should().Throw<ArgumentException>().WithMessage("*must be even*got 15*");
    }

    [Fact]
    public void A_with_expression_that_breaks_the_split_fails_validation()
    {
        var changed = ResNetEncoderConfig.SmallCifarResNet with { Widths = [32, 64, 128, 512] };
        var act = changed.Validate;
        act.Should().Throw<ArgumentException>().WithMessage("*last width is 512*");
        (changed with { Split = RepresentationSplit.Halves(512) }).Validate();
    }

    [Fact]
    public void Equality_compares_the_lists_by_value_and_ToString_shows_them()
    {
        var copy = new ResNetEncoderConfig(ResNetStem.Cifar, [32, 64, 128, 256], [1, 1, 1, 1], new RepresentationSplit(128, 128));
        copy.Should().Be(ResNetEncoderConfig.SmallCifarResNet);
        copy.GetHashCode().Should().Be(ResNetEncoderConfig.SmallCifarResNet.GetHashCode());
        copy.Should().NotBe(ResNetEncoderConfig.CifarResNet18HalfWidth);
        copy.Should().NotBe(copy with { Split = new RepresentationSplit(200, 56) });
        copy.ToString().Should().Contain("Widths = [32, 64, 128, 256]").And.Contain("Split = 128 + 128");
    }

    [Fact]
    public void The_lists_are_copied_so_later_changes_to_the_caller_array_do_not_leak_in()
    {
        int[] widths = [8, 16];
        var config = new ResNetEncoderConfig(ResNetStem.Cifar, widths, [1, 1]);
        widths[1] = 99;
        config.Widths.Should().Equal(8, 16);
    }
}
