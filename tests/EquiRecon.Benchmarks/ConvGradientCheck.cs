using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Benchmarks;

/// <summary>
/// <c>--conv-gradient-check N</c>: N forward/backward passes of one 3×3 convolution, 8 → 8 channels, on a fixed
/// batch (64, 8, 32, 32) — the layer of the tiny test encoders whose input gradient oneDNN's AVX-512 kernels
/// returned partly NaN at random on the project's AMD EPYC machines. Each pass's input gradient is compared with a
/// float64 reference of the same convolution (computed once): a pass is <em>non-finite</em> when any element is NaN or
/// infinite, and <em>wrong</em> when it is finite but an element differs from the reference by more than 1e-3 of the
/// reference's largest magnitude (float32 rounding is about 1e-6 of it) — the failures a finite-step guard cannot see.
/// Prints both counts and the oneDNN level in force.
/// </summary>
internal static class ConvGradientCheck
{
    private const double Tolerance = 1e-3;

    /// <summary>Both shapes: the tiny encoders' 8 → 8 layer and the segmentation head's image skip, 11 → 8 on 64-px tiles.</summary>
    public static void Run(int passes)
    {
        Run(passes, inChannels: 8, outChannels: 8, batch: 64, size: 32);
        Run(passes, inChannels: 11, outChannels: 8, batch: 16, size: 64);
    }

    private static void Run(int passes, int inChannels, int outChannels, int batch, int size)
    {
        torch.manual_seed(0);
        using var conv = nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: false);
        using var x = torch.randn(batch, inChannels, size, size).requires_grad_(true);
        using var reference = Reference(conv, x);
        var scale = reference.abs().max().item<double>();
        var nonFinite = 0;
        var wrong = 0;
        var varying = 0;
        var worst = 0.0;
        Tensor? first = null;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < passes; i++)
        {
            using var scope = torch.NewDisposeScope();
            x.grad?.zero_();
            conv.call(x).square().mean().backward();
            if (!x.grad!.isfinite().all().item<bool>())
            {
                nonFinite++;
                continue;
            }
            if (first is null)
                first = x.grad!.detach().clone().MoveToOuterDisposeScope();
            else if (x.grad!.ne(first).any().item<bool>())
                varying++;
            var error = (x.grad!.to(ScalarType.Float64) - reference).abs().max().item<double>() / scale;
            worst = Math.Max(worst, error);
            if (error > Tolerance)
                wrong++;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"conv {inChannels}→{outChannels} 3×3 on ({batch}, {inChannels}, {size}, {size}), {passes} passes, threads={torch.get_num_threads()}, DNNL_MAX_CPU_ISA={Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") ?? "(unset)"}: " +
            $"{nonFinite} with a non-finite input gradient, {wrong} finite but wrong (> {Tolerance:G1} of the largest reference value; worst finite error {worst:G3}), " +
            $"{varying} finite ones not bit-identical to the first, {1000 * clock.Elapsed.TotalSeconds / Math.Max(1, passes):F1} ms per pass"));
        first?.Dispose();
    }

    /// <summary>The input gradient in float64 (libtorch's reference kernels; oneDNN has no float64 convolution).</summary>
    private static Tensor Reference(nn.Module<Tensor, Tensor> conv, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var weight = conv.parameters().First().detach().to(ScalarType.Float64);
        var input = x.detach().to(ScalarType.Float64).requires_grad_(true);
        nn.functional.conv2d(input, weight, padding: [1, 1]).square().mean().backward();
        return input.grad!.detach().clone().MoveToOuterDisposeScope();
    }
}
