using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Encoders;

/// <summary>bfloat16 compute on float32 master weights (issue 28's bf16 option).</summary>
public sealed class MixedPrecisionTests
{
    [Theory]
    [InlineData(ResNetStem.Cifar)]
    [InlineData(ResNetStem.ImageNet)]
    public void A_bf16_pass_matches_the_fp32_pass_to_bf16_precision_and_returns_fp32_gradients(ResNetStem stem)
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var encoder = new ResNetEncoder(new ResNetEncoderConfig(stem, [8, 8, 16, 16], [1, 1, 1, 1]));
        encoder.eval();
        var x = randn(4, 3, 32, 32);
        var fp32 = encoder.call(x);
        encoder.ComputeType = ScalarType.BFloat16;
        var bf16 = encoder.call(x);

        bf16.Pooled.dtype.Should().Be(ScalarType.Float32, "the outputs are float32 for the heads");
        var error = (bf16.Pooled - fp32.Pooled).abs().max().item<float>() / fp32.Pooled.abs().max().item<float>();
        error.Should().BeLessThan(0.05f, "bfloat16 keeps 8 bits of mantissa");
        error.Should().BeGreaterThan(0f, "the pass really ran in bfloat16");

        encoder.train();
        encoder.call(x).Pooled.square().mean().backward();
        foreach (var (name, p) in encoder.named_parameters())
        {
            p.dtype.Should().Be(ScalarType.Float32, $"{name}: the master weight stays float32");
            p.grad.Should().NotBeNull($"{name} gets a gradient through the cast");
            p.grad!.dtype.Should().Be(ScalarType.Float32);
            p.grad!.isfinite().all().item<bool>().Should().BeTrue();
        }
        encoder.named_buffers().Where(b => b.name.EndsWith("running_mean", StringComparison.Ordinal))
            .Should().OnlyContain(b => b.buffer.dtype == ScalarType.Float32, "BatchNorm statistics stay float32");
    }

    [Fact]
    public void BFloat16_pretraining_where_oneDNN_has_no_bf16_kernels_is_refused_naming_the_level()
    {
        if (TorchNative.CpuIsa is not ("AVX2" or "SSE41"))
            return; // an unrestricted level (DNNL_MAX_CPU_ISA=ALL): nothing to refuse
        var act = () => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { Precision = TrainingPrecision.Bf16 }, Tiny.RandomImages(16));

        act.Should().Throw<ArgumentException>().WithMessage($"*Bf16*{TorchNative.CpuIsa}*DNNL_MAX_CPU_ISA=ALL*");
    }
}
