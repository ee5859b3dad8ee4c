using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.Onnx.Tests.Export;

public sealed class TorchStateDictTests
{
    [Theory]
    [InlineData("small-cifar-resnet")]
    [InlineData("cifar-resnet18")]
    [InlineData("imagenet-resnet18")]
    [InlineData("mlnet-resnet18")]
    public void Reads_what_TorchSharps_Module_save_writes_for_every_preset(string preset)
    {
        var config = EncoderNames.Get(preset);
        torch.manual_seed(3);
        using var encoder = EncoderFactory.Create(config);
        byte[] bytes;
        using (var ms = new MemoryStream())
        {
            encoder.save(ms);
            bytes = ms.ToArray();
        }

        var read = TorchStateDict.Read(bytes, "test");
        var expected = encoder.state_dict();
        read.Keys.Should().BeEquivalentTo(expected.Keys);
        foreach (var (name, tensor) in expected)
        {
            var e = read[name];
            e.Shape.Should().Equal(tensor.shape, name);
            if (tensor.dtype == torch.ScalarType.Int64)
            {
                e.DtypeCode.Should().Be(TorchStateDict.Int64Code);
                e.Longs.Should().Equal(tensor.contiguous().data<long>().ToArray());
            }
            else
            {
                e.DtypeCode.Should().Be(TorchStateDict.Float32Code);
                e.Floats.Should().Equal(tensor.contiguous().data<float>().ToArray(), name);
            }
        }
        // The checked view agrees with the configuration: names, dtypes, shapes, count.
        _ = new CheckedWeights(config, read, "test");
        CheckedWeights.Expected(config).Keys.Should().BeEquivalentTo(expected.Keys);
    }

    [Fact]
    public void Truncated_or_extended_weights_fail_with_the_entry_named()
    {
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.SmallCifarResNet);
        using var ms = new MemoryStream();
        encoder.save(ms);
        var bytes = ms.ToArray();

        var truncated = () => TorchStateDict.Read(bytes.AsSpan(0, bytes.Length - 10), "model file x");
        truncated.Should().Throw<ModelFileException>().WithMessage("model file x: *truncated*");
        var extended = () => TorchStateDict.Read([.. bytes, 0], "model file x");
        extended.Should().Throw<ModelFileException>().WithMessage("*1 bytes follow*");
    }

    [Fact]
    public void Weights_of_another_architecture_fail_with_the_mismatch_named()
    {
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.SmallCifarResNet);
        using var ms = new MemoryStream();
        encoder.save(ms);
        var read = TorchStateDict.Read(ms.ToArray(), "m");

        var wider = () => new CheckedWeights(ResNetEncoderConfig.CifarResNet18HalfWidth, read, "model file m");
        wider.Should().Throw<ModelFileException>().WithMessage("model file m: *missing: layer1.1.conv1.weight*");
        var offset = () => new CheckedWeights(ResNetEncoderConfig.SmallCifarResNet with { InputOffsetSize = 32 }, read, "model file m");
        offset.Should().Throw<ModelFileException>().WithMessage("*missing: input_offset*");
        var shape = () => new CheckedWeights(ResNetEncoderConfig.SmallCifarResNet with { Stem = ResNetStem.ImageNet }, read, "model file m");
        shape.Should().Throw<ModelFileException>().WithMessage("*'conv1.weight' has shape [32, 3, 3, 3], expected [32, 3, 7, 7]*");
    }

    [Theory]
    [InlineData(224, 128)]
    [InlineData(224, 32)]
    [InlineData(224, 256)]
    [InlineData(224, 97)]
    public void The_antialiased_resize_matches_TorchSharps_interpolate(int from, int to)
    {
        torch.manual_seed(5);
        using var offset = torch.randn(1, 3, from, from);
        using var expected = torch.nn.functional.interpolate(offset, [to, to], mode: torch.InterpolationMode.Bilinear, align_corners: false, antialias: true);
        var actual = AntialiasedBilinear.Resize(offset.data<float>().ToArray(), 3, from, from, to, to);
        var reference = expected.contiguous().data<float>().ToArray();
        actual.Length.Should().Be(reference.Length);
        actual.Zip(reference, (a, b) => Math.Abs(a - b)).Max().Should().BeLessThan(1e-5f);
    }
}
