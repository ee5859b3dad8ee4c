using EquiRecon.TorchSharp.Heads;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Heads;

public sealed class MlpHeadTests
{
    public MlpHeadTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void Forward_maps_the_first_size_to_the_last()
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        using var head = new MlpHead(new MlpHeadOptions([8, 16, 16, 4]));
        head.call(torch.randn(3, 8)).shape.Should().Equal(3, 4);
        head.InputDim.Should().Be(8);
        head.OutputDim.Should().Be(4);
    }

    [Fact]
    public void Parameter_names_are_pinned()
    {
        using var withBatchNorm = new MlpHead(new MlpHeadOptions([8, 16, 16, 4]));
        withBatchNorm.named_parameters().Select(p => p.name).Should().Equal(
            "layers.0.weight", "layers.1.weight", "layers.1.bias",
            "layers.3.weight", "layers.4.weight", "layers.4.bias",
            "layers.6.weight");
        withBatchNorm.named_buffers().Select(b => b.name).Should().Contain(["layers.1.running_mean", "layers.4.running_var"]);

        using var lastBias = new MlpHead(new MlpHeadOptions([8, 16, 4], lastBias: true));
        lastBias.named_parameters().Select(p => p.name).Should().Equal(
            "layers.0.weight", "layers.1.weight", "layers.1.bias", "layers.3.weight", "layers.3.bias");

        using var plain = new MlpHead(new MlpHeadOptions([8, 16, 4], batchNorm: false));
        plain.named_parameters().Select(p => p.name).Should().Equal("layers.0.weight", "layers.0.bias", "layers.2.weight");
    }

    [Fact]
    public void Named_variants_have_the_documented_shapes()
    {
        using var expander = Projectors.VicRegExpander(16, width: 32);
        expander.Options.Should().Be(new MlpHeadOptions([16, 32, 32, 32]));
        using var sie = Projectors.SieProjector(16, width: 24);
        sie.Options.Should().Be(new MlpHeadOptions([16, 24, 24, 24], batchNorm: true, lastBias: false));
        using var probe = Projectors.ProbeMlp(16, 3, hidden: 20);
        probe.Options.Should().Be(new MlpHeadOptions([16, 20, 20, 3], batchNorm: true, lastBias: true));
        using var linear = Projectors.LinearProbe(16, 10);
        linear.named_parameters().Select(p => p.name).Should().Equal("layers.0.weight", "layers.0.bias");
        linear.parameters().Sum(p => p.numel()).Should().Be(16 * 10 + 10);

        using var defaultExpander = Projectors.VicRegExpander(512);
        defaultExpander.Options.Dims.Should().Equal(512, 2048, 2048, 2048);
        using var defaultSie = Projectors.SieProjector(256);
        defaultSie.Options.Dims.Should().Equal(256, 1024, 1024, 1024);
        using var defaultProbe = Projectors.ProbeMlp(512, 4);
        defaultProbe.Options.Dims.Should().Equal(512, 1024, 1024, 4);
    }

    [Fact]
    public void Every_parameter_gets_a_nonzero_gradient()
    {
        torch.manual_seed(2);
        using var scope = torch.NewDisposeScope();
        using var head = new MlpHead(new MlpHeadOptions([8, 16, 16, 4], lastBias: true));
        head.train();
        var loss = (head.call(torch.randn(4, 8)) - torch.randn(4, 4)).pow(2).mean();
        loss.backward();
        foreach (var (name, parameter) in head.named_parameters())
        {
            parameter.grad.Should().NotBeNull(name);
            parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0, name);
        }
    }

    [Fact]
    public void Eval_mode_is_deterministic_and_per_sample()
    {
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        using var head = Projectors.ProbeMlp(8, 3, hidden: 16);
        head.eval();
        var x = torch.randn(4, 8);
        var all = head.call(x);
        torch.equal(all, head.call(x)).all().item<bool>().Should().BeTrue();
        torch.allclose(all[..2], head.call(x[..2]), atol: 1e-6).Should().BeTrue("in eval mode batch norm uses running statistics");
    }

    [Fact]
    public void Invalid_options_and_inputs_are_rejected()
    {
        var single = () => new MlpHeadOptions([8]);
        single.Should().Throw<ArgumentException>().WithMessage("*at least an input and an output size, got 1*");
        var zero = () => new MlpHeadOptions([8, 0, 4]);
        zero.Should().Throw<ArgumentException>().WithMessage("*positive, got 0 at position 1 of [8, 0, 4]*");
        var broken = () => new MlpHead(new MlpHeadOptions([8, 4]) with { Dims = [8] });
        broken.Should().Throw<ArgumentException>().WithParameterName("Dims");

        using var scope = torch.NewDisposeScope();
        using var head = new MlpHead(new MlpHeadOptions([8, 4]));
        var wrong = () => head.call(torch.randn(2, 7));
        wrong.Should().Throw<ArgumentException>().WithMessage("*(B, 8)*[2, 7]*");
    }
}
