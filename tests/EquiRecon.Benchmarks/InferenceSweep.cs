using System.Diagnostics;
using System.Globalization;
using EquiRecon.TorchSharp.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Benchmarks;

/// <summary>
/// <c>--inference</c>: the encoder's eval-mode forward pass (no gradients) through TorchSharp at 32, 128 and 224 px, batch 1
/// and 64, with 1 and 2 intra-op threads: images/s, best of <c>--steps</c> timed passes after <c>--warmup</c>. The oneDNN
/// level is the process's (set <c>DNNL_MAX_CPU_ISA</c> per run to compare levels). Batch 1 repeats the pass 16 times per timing.
/// </summary>
internal static class InferenceSweep
{
    public static void Run(ResNetEncoderConfig config, BenchmarkOptions options)
    {
        torch.manual_seed(0);
        using var encoder = EncoderFactory.Create(config);
        encoder.eval();
        using var noGrad = no_grad();
        Console.WriteLine("size px   batch   threads   images/s   ms/image");
        foreach (var size in new[] { 32, 128, 224 })
        {
            foreach (var batch in new[] { 1, 64 })
            {
                using var x = randn([batch, 3, size, size]);
                var repeats = batch == 1 ? 16 : 1;
                foreach (var threads in new[] { 1, 2 })
                {
                    torch.set_num_threads(threads);
                    var best = double.MaxValue;
                    for (var i = 0; i < options.Warmup + options.Steps; i++)
                    {
                        var clock = Stopwatch.StartNew();
                        for (var r = 0; r < repeats; r++)
                        {
                            using var scope = NewDisposeScope();
                            encoder.call(x);
                        }
                        if (i >= options.Warmup)
                            best = Math.Min(best, clock.Elapsed.TotalSeconds / repeats);
                    }
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{size,7} {batch,7} {threads,9} {batch / best,10:F1} {1000 * best / batch,10:F2}"));
                }
            }
        }
    }
}
