using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Encoders;

public sealed class ResNetEncoderTests
{
    public ResNetEncoderTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void SmallCifarResNet_maps_32px_images_to_a_4x4_token_grid()
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.SmallCifarResNet);
        var output = encoder.call(torch.randn(2, 3, 32, 32));

        output.Tokens.shape.Should().Equal(2, 16, 256);
        output.Pooled.shape.Should().Equal(2, 256);
        torch.allclose(output.Pooled, output.Tokens.mean([1]), rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        encoder.Channels.Should().Be(256);
        encoder.Split.Should().Be(new RepresentationSplit(128, 128));
        encoder.Config.Should().Be(ResNetEncoderConfig.SmallCifarResNet);
        ResNetEncoderConfig.SmallCifarResNet.TokenGridSize(32).Should().Be(4);
    }

    [Fact]
    public void CifarResNet18HalfWidth_forward_has_the_documented_shapes()
    {
        torch.manual_seed(2);
        using var scope = torch.NewDisposeScope();
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.CifarResNet18HalfWidth);
        var output = encoder.call(torch.randn(2, 3, 32, 32));
        output.Tokens.shape.Should().Equal(2, 16, 256);
        output.Pooled.shape.Should().Equal(2, 256);
    }

    [Fact]
    public void ImageNet_stem_divides_by_four_before_the_stages()
    {
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        var config = new ResNetEncoderConfig(ResNetStem.ImageNet, [8, 16], [1, 1]);
        using var encoder = new ResNetEncoder(config);
        encoder.named_children().Select(c => c.name).Should().Equal("conv1", "bn1", "maxpool", "layer1", "layer2");
        foreach (var size in new[] { 64, 36 })
        {
            var output = encoder.call(torch.randn(2, 3, size, size));
            var side = config.TokenGridSize(size);
            output.Tokens.shape.Should().Equal(2, side * side, 16);
        }
        using var cifar = new ResNetEncoder(new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16], [1, 1]));
        cifar.named_children().Select(c => c.name).Should().Equal("conv1", "bn1", "layer1", "layer2");
    }

    [Fact]
    public void Tokens_are_the_last_feature_map_in_row_major_order()
    {
        torch.manual_seed(4);
        using var scope = torch.NewDisposeScope();
        using var encoder = new ResNetEncoder(new ResNetEncoderConfig(ResNetStem.Cifar, [4, 8], [1, 1]));
        encoder.eval();
        var images = torch.randn(2, 3, 8, 12);
        var output = encoder.call(images);

        // Run the children by hand to get the feature map (B, C, h, w).
        var children = encoder.named_children().ToDictionary(c => c.name, c => (nn.Module<Tensor, Tensor>)c.module);
        var x = nn.functional.relu(children["bn1"].call(children["conv1"].call(images)));
        x = children["layer2"].call(children["layer1"].call(x));
        x.shape.Should().Equal(2, 8, 4, 6);

        output.Tokens.shape.Should().Equal(2, 24, 8);
        for (var row = 0; row < 4; row++)
        {
            for (var col = 0; col < 6; col++)
                torch.allclose(output.Tokens[.., row * 6 + col, ..], x[.., .., row, col], atol: 1e-6).Should().BeTrue();
        }
    }

    [Fact]
    public void Parameter_names_of_SmallCifarResNet_match_torchvision()
    {
        using var encoder = new ResNetEncoder(ResNetEncoderConfig.SmallCifarResNet);
        var expected = new List<string> { "conv1.weight", "bn1.weight", "bn1.bias" };
        foreach (var (layer, shortcut) in new[] { ("layer1", false), ("layer2", true), ("layer3", true), ("layer4", true) })
        {
            expected.AddRange(
            [
                $"{layer}.0.conv1.weight", $"{layer}.0.bn1.weight", $"{layer}.0.bn1.bias",
                $"{layer}.0.conv2.weight", $"{layer}.0.bn2.weight", $"{layer}.0.bn2.bias",
            ]);
            if (shortcut)
                expected.AddRange([$"{layer}.0.downsample.0.weight", $"{layer}.0.downsample.1.weight", $"{layer}.0.downsample.1.bias"]);
        }
        encoder.named_parameters().Select(p => p.name).Should().Equal(expected);
        encoder.named_buffers().Select(b => b.name).Should().Contain(["bn1.running_mean", "bn1.running_var", "layer2.0.downsample.1.running_var"]);
    }

    [Theory]
    [InlineData("SmallCifarResNet", 1_226_400)]
    [InlineData("CifarResNet18HalfWidth", 2_795_040)]
    [InlineData("CifarResNet18", 11_168_832)] // torchvision's 11,176,512 − 7×7×3×64 + 3×3×3×64
    [InlineData("ImageNetResNet18", 11_176_512)] // torchvision resnet18 without fc
    public void Parameter_counts_are_pinned(string preset, long expected)
    {
        var config = (ResNetEncoderConfig)typeof(ResNetEncoderConfig).GetProperty(preset)!.GetValue(null)!;
        using var encoder = EncoderFactory.Create(config);
        encoder.parameters().Sum(p => p.numel()).Should().Be(expected);
    }

    [Fact]
    public void ImageNetResNet18_state_dict_matches_torchvision_resnet18_without_fc()
    {
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.ImageNetResNet18);
        using var reference = torchvision.models.resnet18();
        var ours = encoder.state_dict();
        var theirs = reference.state_dict().Where(kv => !kv.Key.StartsWith("fc.", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value);

        ours.Keys.Should().BeEquivalentTo(theirs.Keys);
        foreach (var (name, tensor) in ours)
            tensor.shape.Should().Equal(theirs[name].shape, name);

        // So torchvision weights load as they are.
        encoder.load_state_dict(theirs, strict: true);
    }

    [Fact]
    public void Initialisation_is_kaiming_fan_out_for_convs_and_ones_zeros_for_batch_norm()
    {
        torch.manual_seed(5);
        using var encoder = new ResNetEncoder(ResNetEncoderConfig.SmallCifarResNet);
        var parameters = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var conv = parameters["layer4.0.conv2.weight"]; // (256, 256, 3, 3): fan-out 256·9
        conv.std().item<float>().Should().BeApproximately((float)Math.Sqrt(2.0 / (256 * 9)), 0.001f);
        parameters["layer3.0.bn2.weight"].eq(1).all().item<bool>().Should().BeTrue();
        parameters["layer3.0.bn2.bias"].eq(0).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Every_parameter_gets_a_nonzero_gradient_in_train_mode()
    {
        torch.manual_seed(6);
        using var scope = torch.NewDisposeScope();
        using var encoder = new ResNetEncoder(ResNetEncoderConfig.SmallCifarResNet);
        encoder.train();
        var output = encoder.call(torch.randn(4, 3, 32, 32));
        var loss = (output.Pooled - torch.randn(4, 256)).pow(2).mean() + output.Tokens.mul(torch.randn(4, 16, 256)).mean();
        loss.backward();
        foreach (var (name, parameter) in encoder.named_parameters())
        {
            parameter.grad.Should().NotBeNull(name);
            parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0, name);
        }
    }

    [Fact]
    public void Eval_mode_is_deterministic()
    {
        torch.manual_seed(7);
        using var scope = torch.NewDisposeScope();
        using var encoder = new ResNetEncoder(ResNetEncoderConfig.SmallCifarResNet);
        encoder.eval();
        var images = torch.randn(2, 3, 32, 32);
        using var noGrad = torch.no_grad();
        var first = encoder.call(images);
        var second = encoder.call(images);
        torch.equal(first.Tokens, second.Tokens).all().item<bool>().Should().BeTrue();
        torch.equal(first.Pooled, second.Pooled).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Wrong_input_shapes_are_rejected_with_the_shape_in_the_message()
    {
        using var scope = torch.NewDisposeScope();
        using var encoder = new ResNetEncoder(new ResNetEncoderConfig(ResNetStem.Cifar, [4, 8], [1, 1]));
        var gray = () => encoder.call(torch.randn(2, 1, 8, 8));
        gray.Should().Throw<ArgumentException>().WithMessage("*(B, 3, H, W)*[2, 1, 8, 8]*");
        var flat = () => encoder.call(torch.randn(2, 3, 8));
        flat.Should().Throw<ArgumentException>().WithMessage("*[2, 3, 8]*");
    }

    [Fact]
    public void BasicBlock_has_a_projection_shortcut_only_when_needed()
    {
        torch.manual_seed(8);
        using var scope = torch.NewDisposeScope();
        using var same = new BasicBlock(4, 4);
        same.HasDownsample.Should().BeFalse();
        same.named_parameters().Select(p => p.name).Should().Equal("conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias");
        same.call(torch.randn(2, 4, 6, 6)).shape.Should().Equal(2, 4, 6, 6);

        using var wider = new BasicBlock(4, 8);
        wider.HasDownsample.Should().BeTrue();
        wider.call(torch.randn(2, 4, 6, 6)).shape.Should().Equal(2, 8, 6, 6);

        using var strided = new BasicBlock(4, 4, stride: 2);
        strided.HasDownsample.Should().BeTrue();
        strided.call(torch.randn(2, 4, 7, 7)).shape.Should().Equal(2, 4, 4, 4);
        strided.named_parameters().Select(p => p.name).Should().Contain(["downsample.0.weight", "downsample.1.weight", "downsample.1.bias"]);

        var bad = () => new BasicBlock(0, 4);
        bad.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("inChannels");
    }
}
