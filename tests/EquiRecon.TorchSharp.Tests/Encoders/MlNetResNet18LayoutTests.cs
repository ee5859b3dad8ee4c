using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Encoders;

/// <summary>
/// ML.NET's ResNet-18 is a CNTK export that pads its stride-2 layers on the top and left only. On even sides that is
/// the same computation as torchvision's symmetric padding; these tests pin that, so the preset needs no layout option.
/// </summary>
public sealed class MlNetResNet18LayoutTests
{
    public MlNetResNet18LayoutTests() => TorchNative.EnsureLoaded();

    private static readonly ResNetEncoderConfig Tiny = new(ResNetStem.ImageNet, [4, 8], [1, 2]);

    [Fact]
    public void MlNetResNet18_is_the_registered_nine_block_preset()
    {
        var config = EncoderNames.Get("mlnet-resnet18");
        config.Should().BeSameAs(ResNetEncoderConfig.MlNetResNet18);
        config.Stem.Should().Be(ResNetStem.ImageNet);
        config.Widths.Should().Equal(64, 128, 256, 512);
        config.BlocksPerStage.Should().Equal(2, 2, 2, 3);
        config.Split.Should().Be(new RepresentationSplit(256, 256));
        config.TokenGridSize(224).Should().Be(7);
        config.TokenGridSize(128).Should().Be(4);
        EncoderSpecs.ToConfig(EncoderSpecs.ToSpec(config)).Should().Be(config);
        EncoderNames.Names.Should().Contain("mlnet-resnet18");
    }

    [Theory]
    [InlineData(224, 7)]
    [InlineData(128, 4)]
    public void MlNetResNet18_maps_224_and_128_px_to_7x7_and_4x4_tokens(int size, int side)
    {
        torch.manual_seed(5);
        using var scope = NewDisposeScope();
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.MlNetResNet18);
        encoder.eval();
        using var noGrad = no_grad();
        var output = encoder.call(randn(1, 3, size, size));
        output.Tokens.shape.Should().Equal(1, side * side, 512);
        output.Pooled.shape.Should().Equal(1, 512);
    }

    [Fact]
    public void MlNetResNet18_keeps_torchvision_weight_names()
    {
        using var encoder = EncoderFactory.Create(ResNetEncoderConfig.MlNetResNet18);
        var names = encoder.state_dict().Keys.ToArray();
        names.Should().Contain(["conv1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight", "layer4.2.bn2.bias"]);
        names.Should().NotContain(n => n.StartsWith("layer4.3.", StringComparison.Ordinal) || n.StartsWith("layer3.2.", StringComparison.Ordinal));
        names.Count(n => n.EndsWith("conv1.weight", StringComparison.Ordinal)).Should().Be(1 + 9);
    }

    [Theory]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(96)]
    public void On_even_sides_the_encoder_equals_CNTKs_top_left_padding(int size)
    {
        torch.manual_seed(6);
        using var scope = NewDisposeScope();
        using var encoder = EncoderFactory.Create(Tiny);
        RandomizeBatchNorms(encoder);
        encoder.eval();
        using var noGrad = no_grad();
        var x = randn(2, 3, size, size);
        var output = encoder.call(x);
        var cntk = Reference(encoder.state_dict(), x, Tiny, topLeft: true);
        var torchvision = Reference(encoder.state_dict(), x, Tiny, topLeft: false);
        output.Pooled.allclose(torchvision, rtol: 1e-5, atol: 1e-6).Should().BeTrue("the encoder is torchvision's layout");
        output.Pooled.allclose(cntk, rtol: 1e-5, atol: 1e-6).Should().BeTrue("on even sides no strided window reaches the bottom/right padding");
    }

    [Fact]
    public void On_odd_sides_the_layouts_differ_and_CNTKs_cannot_add_its_shortcut()
    {
        torch.manual_seed(7);
        using var scope = NewDisposeScope();
        using var encoder = EncoderFactory.Create(Tiny);
        encoder.eval();
        using var noGrad = no_grad();
        // 36 px: stem 18, max-pool 9, then the stride-2 block sees an odd side: the main path gives 4 (top/left) or 5
        // (symmetric) rows, the 1×1 shortcut 5.
        var x = randn(1, 3, 36, 36);
        encoder.call(x).Tokens.shape.Should().Equal(1, 25, 8);
        var cntk = () => Reference(encoder.state_dict(), x, Tiny, topLeft: true);
        cntk.Should().Throw<Exception>();
    }

    private static void RandomizeBatchNorms(ResNetEncoder encoder)
    {
        using var noGrad = no_grad();
        foreach (var (name, t) in encoder.state_dict())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal))
                t.copy_(randn(t.shape) * 0.1);
            else if (name.EndsWith("running_var", StringComparison.Ordinal) || (name.EndsWith(".weight", StringComparison.Ordinal) && t.dim() == 1))
                t.copy_(rand(t.shape) + 0.5);
        }
    }

    /// <summary>The encoder written out with functional ops: explicit CNTK pads (top/left) or torchvision's symmetric ones.</summary>
    private static Tensor Reference(Dictionary<string, Tensor> w, Tensor x, ResNetEncoderConfig config, bool topLeft)
    {
        Tensor Bn(Tensor t, string p) => nn.functional.batch_norm(t, w[p + ".running_mean"], w[p + ".running_var"], w[p + ".weight"], w[p + ".bias"], training: false, eps: 1e-5);
        // functional.pad order: (left, right, top, bottom).
        var y = topLeft
            ? nn.functional.conv2d(nn.functional.pad(x, [3, 2, 3, 2]), w["conv1.weight"], strides: [2, 2])
            : nn.functional.conv2d(x, w["conv1.weight"], strides: [2, 2], padding: [3, 3]);
        y = nn.functional.relu(Bn(y, "bn1"));
        y = topLeft
            ? nn.functional.max_pool2d(nn.functional.pad(y, [1, 0, 1, 0], value: double.NegativeInfinity), 3, 2)
            : nn.functional.max_pool2d(y, 3, 2, 1);
        for (var stage = 0; stage < config.Stages; stage++)
        {
            for (var block = 0; block < config.BlocksPerStage[stage]; block++)
            {
                var p = $"layer{stage + 1}.{block}";
                var stride = stage > 0 && block == 0 ? 2 : 1;
                var h = stride == 2 && topLeft
                    ? nn.functional.conv2d(nn.functional.pad(y, [1, 0, 1, 0]), w[p + ".conv1.weight"], strides: [2, 2])
                    : nn.functional.conv2d(y, w[p + ".conv1.weight"], strides: [stride, stride], padding: [1, 1]);
                h = nn.functional.relu(Bn(h, p + ".bn1"));
                h = Bn(nn.functional.conv2d(h, w[p + ".conv2.weight"], padding: [1, 1]), p + ".bn2");
                var shortcut = w.ContainsKey(p + ".downsample.0.weight")
                    ? Bn(nn.functional.conv2d(y, w[p + ".downsample.0.weight"], strides: [stride, stride]), p + ".downsample.1")
                    : y;
                y = nn.functional.relu(h + shortcut);
            }
        }
        return y.mean([2, 3]);
    }
}
