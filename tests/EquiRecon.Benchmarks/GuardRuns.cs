using System.Diagnostics;
using System.Globalization;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.Benchmarks;

/// <summary>
/// <c>--guard-runs N</c>: how often real training meets a non-finite step at the oneDNN level in force. N pretraining runs
/// of the CIFAR-10 smoke budget's shape (its tiny encoder: widths 8, 16, 32, 64, one block per stage; its heads; 48 steps
/// of 64 images at 32 px, one thread; the first of <c>--methods</c>), each with another seed, on random images; prints
/// each run's recomputed and skipped steps (the finite-step guard's counts) and the totals.
/// </summary>
internal static class GuardRuns
{
    public static void Run(int runs, BenchmarkOptions options)
    {
        var encoder = new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16, 32, 64], [1, 1, 1, 1]);
        var heads = new HeadSizes(ExpanderWidth: 128, ProjectorWidth: 64, Decoder: new ReconstructionDecoderOptions(Width: 32, Heads: 2, Depth: 1));
        var method = MethodRegistry.Get(options.Methods[0]).WithHeadSizes(heads);
        using var g = new torch.Generator(7);
        var data = new ImageDataset(torch.randint(0, 256, [2048, 3, 32, 32], generator: g).to(torch.ScalarType.Byte),
            torch.arange(2048) % 10, Enumerable.Range(0, 10).Select(i => "class" + i).ToArray());
        int recomputed = 0, skipped = 0, runsWithEvents = 0, failed = 0;
        var clock = Stopwatch.StartNew();
        for (var run = 0; run < runs; run++)
        {
            var settings = new PretrainingOptions { Steps = 48, BatchSize = 64, LearningRate = 2e-3, Threads = 1, Seed = run, ReportEvery = 1_000_000 };
            using var trainer = new Pretrainer(method, encoder, settings, data);
            try
            {
                trainer.Train();
            }
            catch (TrainingDivergedException e)
            {
                failed++;
                Console.WriteLine($"  run {run}: stopped: {e.Message}");
            }
            recomputed += trainer.RecomputedSteps;
            skipped += trainer.SkippedSteps;
            if (trainer.RecomputedSteps + trainer.SkippedSteps > 0)
            {
                runsWithEvents++;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  run {run} (seed {run}): {trainer.RecomputedSteps} recomputed, {trainer.SkippedSteps} skipped"));
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"guard runs: method {method.Name}, {runs} runs × 48 steps, DNNL_MAX_CPU_ISA={Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA")}: " +
            $"{runsWithEvents} runs with a non-finite step, {recomputed} steps recomputed, {skipped} skipped, {failed} runs stopped; {clock.Elapsed.TotalSeconds / Math.Max(1, runs):F1} s per run"));
    }
}
