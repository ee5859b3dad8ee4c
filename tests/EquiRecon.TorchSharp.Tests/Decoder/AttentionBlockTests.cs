using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Decoder;

public sealed class AttentionBlockTests
{
    public AttentionBlockTests() => TorchNative.EnsureLoaded();

    private static readonly string[] MhaNames = ["attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias"];
    private static readonly string[] MlpNames = ["mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"];

    [Fact]
    public void SelfAttentionBlock_keeps_the_shape_and_pins_its_parameter_names()
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        using var block = new SelfAttentionBlock(width: 16, heads: 4, mlpRatio: 2);
        block.call(torch.randn(2, 5, 16)).shape.Should().Equal(2, 5, 16);
        block.named_parameters().Select(p => p.name).Should().Equal(
            ["norm1.weight", "norm1.bias", .. MhaNames, "norm2.weight", "norm2.bias", .. MlpNames]);
        block.named_parameters().Single(p => p.name == "mlp.fc1.weight").parameter.shape.Should().Equal(32, 16);
    }

    [Fact]
    public void SelfAttentionBlock_is_permutation_equivariant_without_positions()
    {
        torch.manual_seed(2);
        using var scope = torch.NewDisposeScope();
        using var block = new SelfAttentionBlock(16, 4);
        block.eval();
        var x = torch.randn(2, 6, 16);
        var permutation = torch.tensor(new long[] { 3, 0, 5, 1, 4, 2 });
        var permutedThenBlock = block.call(x.index_select(1, permutation));
        var blockThenPermuted = block.call(x).index_select(1, permutation);
        torch.allclose(permutedThenBlock, blockThenPermuted, rtol: 1e-4, atol: 1e-5).Should().BeTrue();
    }

    [Fact]
    public void CrossAttentionBlock_output_depends_on_the_context()
    {
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        using var block = new CrossAttentionBlock(width: 16, heads: 2);
        block.eval();
        var queries = torch.randn(2, 4, 16);
        var context = torch.randn(2, 7, 16);
        var output = block.call(queries, context);
        output.shape.Should().Equal(2, 4, 16);
        torch.equal(output, block.call(queries, context)).all().item<bool>().Should().BeTrue();

        var otherContext = block.call(queries, torch.randn(2, 7, 16));
        (otherContext - output).abs().max().item<float>().Should().BeGreaterThan(1e-3f);

        // Only its own sample's context matters.
        var changedSecond = context.clone();
        changedSecond[1] = torch.randn(7, 16);
        var partly = block.call(queries, changedSecond);
        torch.allclose(partly[0], output[0], atol: 1e-6).Should().BeTrue();
        (partly[1] - output[1]).abs().max().item<float>().Should().BeGreaterThan(1e-3f);
    }

    [Fact]
    public void CrossAttentionBlock_pins_its_parameter_names_and_every_parameter_gets_a_gradient()
    {
        torch.manual_seed(4);
        using var scope = torch.NewDisposeScope();
        using var block = new CrossAttentionBlock(8, 2);
        block.named_parameters().Select(p => p.name).Should().Equal(
            ["norm_q.weight", "norm_q.bias", "norm_kv.weight", "norm_kv.bias", .. MhaNames, "norm2.weight", "norm2.bias", .. MlpNames]);
        var loss = (block.call(torch.randn(2, 3, 8), torch.randn(2, 5, 8)) - torch.randn(2, 3, 8)).pow(2).mean();
        loss.backward();
        foreach (var (name, parameter) in block.named_parameters())
            parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0, name);
    }

    [Fact]
    public void Invalid_sizes_and_shapes_are_rejected_with_clear_messages()
    {
        var heads = () => new SelfAttentionBlock(10, 4);
        heads.Should().Throw<ArgumentException>().WithMessage("*width (10) must be divisible by the number of heads (4)*");
        var ratio = () => new CrossAttentionBlock(8, 2, mlpRatio: 0);
        ratio.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("mlpRatio");

        using var scope = torch.NewDisposeScope();
        using var self = new SelfAttentionBlock(8, 2);
        var width = () => self.call(torch.randn(2, 3, 6));
        width.Should().Throw<ArgumentException>().WithMessage("*(B, N, 8)*[2, 3, 6]*");
        using var cross = new CrossAttentionBlock(8, 2);
        var batch = () => cross.call(torch.randn(2, 3, 8), torch.randn(3, 3, 8));
        batch.Should().Throw<ArgumentException>().WithMessage("*(2, N, 8)*[3, 3, 8]*").WithParameterName("context");
    }
}
