using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Decoder;

public sealed class ReconstructionDecoderTests
{
    public ReconstructionDecoderTests() => TorchNative.EnsureLoaded();

    private static readonly ReconstructionDecoderOptions Tiny = new(Width: 16, Heads: 2, Depth: 2, MlpRatio: 2, Patch: 8, ImageSize: 32);

    [Fact]
    public void Options_defaults_fit_32px_images_and_a_4x4_token_grid()
    {
        var options = new ReconstructionDecoderOptions();
        options.Should().Be(new ReconstructionDecoderOptions(256, 4, 2, 4.0, 8, 32, 3));
        options.Tokens.Should().Be(16);
        options.PatchDim.Should().Be(192);
        options.Validate();
    }

    [Fact]
    public void Forward_predicts_one_patch_per_token()
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        using var decoder = new ReconstructionDecoder(queryChannels: 12, contextChannels: 20, tokens: 16, Tiny);
        var patches = decoder.call(torch.randn(2, 16, 12), torch.randn(2, 16, 20));
        patches.shape.Should().Equal(2, 16, 8 * 8 * 3);
        Patches.Unpatchify(patches, 8, 32, 32).shape.Should().Equal(2, 3, 32, 32);
    }

    [Fact]
    public void Parameter_names_are_pinned()
    {
        using var decoder = new ReconstructionDecoder(12, 20, 16, Tiny with { Depth = 1 });
        string[] mha = ["attn.in_proj_weight", "attn.in_proj_bias", "attn.out_proj.weight", "attn.out_proj.bias"];
        string[] mlp = ["mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias"];
        decoder.named_parameters().Select(p => p.name).Should().Equal(
        [
            "query_pos", "context_pos",
            "query_proj.weight", "query_proj.bias", "context_proj.weight", "context_proj.bias",
            "cross.norm_q.weight", "cross.norm_q.bias", "cross.norm_kv.weight", "cross.norm_kv.bias",
            .. mha.Select(n => "cross." + n), "cross.norm2.weight", "cross.norm2.bias", .. mlp.Select(n => "cross." + n),
            "blocks.0.norm1.weight", "blocks.0.norm1.bias", .. mha.Select(n => "blocks.0." + n),
            "blocks.0.norm2.weight", "blocks.0.norm2.bias", .. mlp.Select(n => "blocks.0." + n),
            "norm.weight", "norm.bias", "pixel_head.weight", "pixel_head.bias",
        ]);
        var positions = decoder.named_parameters().Single(p => p.name == "query_pos").parameter;
        positions.shape.Should().Equal(1, 16, 16);
    }

    [Fact]
    public void Parameter_count_with_default_options_is_pinned()
    {
        using var decoder = new ReconstructionDecoder(256, 256, 16, new ReconstructionDecoderOptions());
        decoder.parameters().Sum(p => p.numel()).Should().Be(2_559_424);
    }

    [Fact]
    public void Positions_are_small_truncated_normal()
    {
        torch.manual_seed(2);
        using var decoder = new ReconstructionDecoder(8, 8, 64, new ReconstructionDecoderOptions(Width: 64, Patch: 4));
        var positions = decoder.named_parameters().Single(p => p.name == "context_pos").parameter;
        positions.std().item<float>().Should().BeInRange(0.018f, 0.022f);
        positions.mean().item<float>().Should().BeInRange(-0.002f, 0.002f);
        positions.abs().max().item<float>().Should().BeLessThanOrEqualTo(2f);
    }

    [Fact]
    public void Truncated_normal_keeps_values_in_range_with_the_truncated_spread()
    {
        torch.manual_seed(5);
        using var scope = torch.NewDisposeScope();
        var values = torch.empty(20_000);
        TransformerParts.TruncatedNormal_(values, mean: 0.5, std: 1.0, a: -0.5, b: 1.5);
        values.min().item<float>().Should().BeGreaterThanOrEqualTo(-0.5f);
        values.max().item<float>().Should().BeLessThanOrEqualTo(1.5f);
        values.mean().item<float>().Should().BeApproximately(0.5f, 0.02f);
        values.std().item<float>().Should().BeApproximately(0.538f, 0.02f); // std of N(0, 1) truncated to ±1
    }

    [Fact]
    public void Every_parameter_gets_a_nonzero_gradient()
    {
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        using var decoder = new ReconstructionDecoder(12, 20, 16, Tiny);
        decoder.train();
        var target = Patches.Patchify(torch.randn(2, 3, 32, 32), 8);
        var loss = (decoder.call(torch.randn(2, 16, 12), torch.randn(2, 16, 20)) - target).pow(2).mean();
        loss.backward();
        foreach (var (name, parameter) in decoder.named_parameters())
        {
            parameter.grad.Should().NotBeNull(name);
            parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0, name);
        }
    }

    [Fact]
    public void Output_depends_on_the_context_and_eval_mode_is_deterministic()
    {
        torch.manual_seed(4);
        using var scope = torch.NewDisposeScope();
        using var decoder = new ReconstructionDecoder(12, 20, 16, Tiny with { Depth = 0 });
        decoder.eval();
        var queries = torch.randn(2, 16, 12);
        var context = torch.randn(2, 16, 20);
        using var noGrad = torch.no_grad();
        var output = decoder.call(queries, context);
        torch.equal(output, decoder.call(queries, context)).all().item<bool>().Should().BeTrue();
        (decoder.call(queries, torch.randn(2, 16, 20)) - output).abs().max().item<float>().Should().BeGreaterThan(1e-4f);
    }

    [Fact]
    public void Token_count_must_match_the_number_of_patches()
    {
        var act = () => new ReconstructionDecoder(8, 8, tokens: 64, new ReconstructionDecoderOptions());
        act.Should().Throw<ArgumentException>().WithParameterName("tokens")
            .WithMessage("*got 64 tokens*32×32 image cut into 8×8 patches has 16 (4×4)*");
    }

    [Fact]
    public void Invalid_options_are_rejected_with_clear_messages()
    {
        var heads = () => new ReconstructionDecoder(8, 8, 16, new ReconstructionDecoderOptions(Width: 30, Heads: 4));
        heads.Should().Throw<ArgumentException>().WithMessage("*Width (30) must be divisible by Heads (4)*");
        var patch = () => new ReconstructionDecoder(8, 8, 16, new ReconstructionDecoderOptions(ImageSize: 30));
        patch.Should().Throw<ArgumentException>().WithMessage("*ImageSize (30) must be divisible by Patch (8)*");
        var depth = () => new ReconstructionDecoder(8, 8, 16, new ReconstructionDecoderOptions(Depth: -1));
        depth.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Depth");
        var channels = () => new ReconstructionDecoder(0, 8, 16, new ReconstructionDecoderOptions());
        channels.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("queryChannels");
    }

    [Fact]
    public void Wrong_input_shapes_name_the_expected_and_actual_shapes()
    {
        using var scope = torch.NewDisposeScope();
        using var decoder = new ReconstructionDecoder(12, 20, 16, Tiny);
        var tokens = () => decoder.call(torch.randn(2, 9, 12), torch.randn(2, 16, 20));
        tokens.Should().Throw<ArgumentException>().WithMessage("*(B, 16, 12)*[2, 9, 12]*").WithParameterName("queryTokens");
        var channels = () => decoder.call(torch.randn(2, 16, 12), torch.randn(2, 16, 12));
        channels.Should().Throw<ArgumentException>().WithMessage("*(2, 16, 20)*[2, 16, 12]*").WithParameterName("contextTokens");
        var batch = () => decoder.call(torch.randn(2, 16, 12), torch.randn(3, 16, 20));
        batch.Should().Throw<ArgumentException>().WithMessage("*(2, 16, 20)*[3, 16, 20]*");
    }
}
