using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Benchmarks;

/// <summary>
/// The machine's matmul ceilings, measured in the benchmark's own process: a large square <c>torch.mm</c> in fp32 and in
/// bf16 (GFLOP/s = 2·n³ per product over the best of the timed repeats), with the threads and oneDNN level in force.
/// A training step's GFLOP/s is reported as a share of the fp32 ceiling. Where bf16 has no fast kernel at the oneDNN level
/// in force (below AVX-512 BF16 libtorch falls back to a slow reference GEMM), the size shrinks until a product takes
/// under a second, and the figure says what that level gives.
/// </summary>
internal static class MachineCeiling
{
    /// <summary>GFLOP/s of an n × n product in <paramref name="dtype"/> and the n used.</summary>
    public static (double Gflops, int Size) MatmulGflops(ScalarType dtype, int n = 2048, int repeats = 5)
    {
        while (n > 256 && ProductSeconds(dtype, n / 4) * 64 > 1.0)
            n /= 2;
        return (Measure(dtype, n, repeats), n);
    }

    private static double ProductSeconds(ScalarType dtype, int n)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var a = ones([n, n]).to(dtype);
        mm(a, a).Dispose();
        var clock = Stopwatch.StartNew();
        mm(a, a).Dispose();
        return clock.Elapsed.TotalSeconds;
    }

    private static double Measure(ScalarType dtype, int n, int repeats)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var g = new Generator(11);
        var a = randn([n, n], generator: g).to(dtype);
        var b = randn([n, n], generator: g).to(dtype);
        mm(a, b).Dispose(); // warm-up: kernels chosen, memory mapped
        var best = double.MaxValue;
        for (var i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            mm(a, b).Dispose();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * n / best / 1e9;
    }
}
