using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Benchmarks;

/// <summary>
/// <c>--conv-gradient-check N</c>: N forward/backward passes of one 3×3 convolution, 8 → 8 channels, on a fixed
/// batch (64, 8, 32, 32) — the layer of the tiny test encoders whose input gradient oneDNN's AVX-512 kernels
/// returned partly NaN at random on the project's AMD EPYC machines. Prints how many passes gave a non-finite
/// input gradient and the oneDNN cap in force (DNNL_MAX_CPU_ISA; EquiRecon sets SSE41 unless the process set one).
/// </summary>
internal static class ConvGradientCheck
{
    public static void Run(int passes)
    {
        torch.manual_seed(0);
        using var conv = nn.Conv2d(8, 8, 3, padding: 1, bias: false);
        using var x = torch.randn(64, 8, 32, 32).requires_grad_(true);
        var bad = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < passes; i++)
        {
            using var scope = torch.NewDisposeScope();
            x.grad?.zero_();
            conv.call(x).square().mean().backward();
            if (!x.grad!.isfinite().all().item<bool>())
                bad++;
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"conv 8→8 3×3 on (64, 8, 32, 32), {passes} passes, threads={torch.get_num_threads()}, DNNL_MAX_CPU_ISA={Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") ?? "(unset)"}: " +
            $"{bad} with a non-finite input gradient, {1000 * clock.Elapsed.TotalSeconds / Math.Max(1, passes):F1} ms per pass"));
    }
}
