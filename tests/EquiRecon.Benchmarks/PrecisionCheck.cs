using System.Diagnostics;
using System.Globalization;
using EquiRecon.TorchSharp.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Benchmarks;

/// <summary>
/// <c>--precision-check</c>: is bf16 worth a training option on this CPU? The encoder's forward and backward pass on one
/// batch of two views (loss: the mean square of the pooled features), timed in fp32 and with the encoder and its input in
/// bf16, best of <c>--steps</c> after <c>--warmup</c>; the oneDNN level in force decides which bf16 kernels exist
/// (AVX-512 BF16 needs <c>DNNL_MAX_CPU_ISA=ALL</c> or <c>AVX512_CORE_BF16</c>). TorchSharp offers no autocast, so this is
/// the pure-bf16 compute a mixed-precision step would run.
/// </summary>
internal static class PrecisionCheck
{
    public static void Run(ResNetEncoderConfig config, BenchmarkOptions options)
    {
        var (fp32, _) = MachineCeiling.MatmulGflops(ScalarType.Float32, n: 1024);
        var (bf16, _) = MachineCeiling.MatmulGflops(ScalarType.BFloat16, n: 1024);
        var slowBf16 = bf16 < fp32 / 4;
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            if (dtype == ScalarType.BFloat16 && slowBf16)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"BFloat16  skipped: bf16 matmul runs at {bf16:F1} GFLOP/s against fp32's {fp32:F1} at this oneDNN level (no bf16 kernels; use DNNL_MAX_CPU_ISA=ALL)"));
                continue;
            }
            torch.manual_seed(0);
            using var encoder = EncoderFactory.Create(config);
            encoder.to(dtype);
            encoder.train();
            using var x = randn([2 * options.Batch, 3, options.ImageSize, options.ImageSize]).to(dtype);
            var best = double.MaxValue;
            for (var i = 0; i < options.Warmup + options.Steps; i++)
            {
                using var scope = NewDisposeScope();
                encoder.zero_grad();
                var clock = Stopwatch.StartNew();
                encoder.call(x).Pooled.square().mean().backward();
                if (i >= options.Warmup)
                    best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{dtype,-9} encoder forward+backward of {2 * options.Batch} views at {options.ImageSize} px: {1000 * best:F0} ms, {options.Batch / best:F1} image pairs/s"));
        }
    }
}
