// Training-step throughput per method, printed (never asserted): images/s, the step's GFLOP/s against the fp32 and bf16
// matmul ceilings measured in the same process (MachineCeiling.cs, StepFlops.cs), the oneDNN level and the finite-step
// guard's counts.
//   … -- --conv-gradient-check 2000: counts NaN input gradients of one convolution (ConvGradientCheck.cs) and exits.
//   … -- --guard-runs N: N smoke-budget-shaped pretraining runs, counting the finite-step guard's events (GuardRuns.cs).
//   … -- --inference: the encoder's eval forward at 32/128/224 px, batch 1/64, 1/2 threads (InferenceSweep.cs) and exits.
//   … -- --precision-check: the encoder's forward + backward in fp32 and in bf16 (PrecisionCheck.cs) and exits.
//   dotnet run --project tests/EquiRecon.Benchmarks -c Release -- [--precision fp32|bf16] [--encoder small-cifar-resnet] [--batch 256] [--steps 5] [--warmup 1] [--threads N] [--methods equirecon,vicreg] [--memory-steps 0] [--image-size 32] [--freeze-stages 0]
using System.Diagnostics;
using System.Globalization;
using EquiRecon.Benchmarks;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

var options = BenchmarkOptions.Parse(args);
TorchNative.EnsureLoaded();
if (options.Threads is int t)
    torch.set_num_threads(t);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"oneDNN level DNNL_MAX_CPU_ISA={TorchNative.CpuIsa ?? "(n/a)"} deterministic={TorchNative.IsDeterministic} threads={torch.get_num_threads()}"));
if (options.ConvGradientChecks > 0)
{
    ConvGradientCheck.Run(options.ConvGradientChecks);
    return;
}

if (options.GuardRuns > 0)
{
    GuardRuns.Run(options.GuardRuns, options);
    return;
}
var encoder = EncoderNames.Get(options.Encoder);
if (options.Inference)
{
    InferenceSweep.Run(encoder, options);
    return;
}
if (options.PrecisionCheck)
{
    PrecisionCheck.Run(encoder, options);
    return;
}
var data = RandomImages(options.Batch * 2, options.ImageSize, classes: 10);
var (fp32Ceiling, fp32Size) = MachineCeiling.MatmulGflops(torch.ScalarType.Float32);
var (bf16Ceiling, bf16Size) = MachineCeiling.MatmulGflops(torch.ScalarType.BFloat16);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"matmul ceiling (square torch.mm, best of 5): fp32 {fp32Ceiling:F1} GFLOP/s at n={fp32Size}, bf16 {bf16Ceiling:F1} GFLOP/s at n={bf16Size}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"encoder={options.Encoder} image={options.ImageSize}px frozen-stages={options.FrozenStages} precision={options.Precision} batch={options.Batch} threads={torch.get_num_threads()} steps={options.Steps} (+{options.Warmup} warm-up) device=cpu"));
Console.WriteLine($"heads: {HeadSizes.ScaledTo(encoder.Channels)}");
Console.WriteLine("method            images/s   step ms   augment %   GFLOP/step   GFLOP/s   % of fp32 ceiling   recomputed   skipped   peak working set MiB");

foreach (var name in options.Methods)
{
    var method = MethodRegistry.Get(name).WithHeadSizes(HeadSizes.ScaledTo(encoder.Channels));
    var run = new PretrainingOptions { Steps = options.Warmup + options.Steps + options.MemorySteps, BatchSize = options.Batch, ReportEvery = 1_000_000, FrozenStages = options.FrozenStages, Precision = options.Precision };
    using var trainer = new Pretrainer(method, encoder, run, data);

    // Augmentation cost alone: the input of a step (two views, normalized) without the model.
    for (int i = 0; i < options.Warmup; i++)
        using (torch.NewDisposeScope()) trainer.MakeInput(i);
    var augClock = Stopwatch.StartNew();
    for (int i = 0; i < options.Steps; i++)
        using (torch.NewDisposeScope()) trainer.MakeInput(i);
    var augSeconds = augClock.Elapsed.TotalSeconds;

    double flops;
    // FLOPs are counted on the float32 model (the bf16 path calls its convolutions functionally, past the hooks); the
    // same layers, the same count.
    using (var counting = options.Precision == TrainingPrecision.Fp32 ? null : new Pretrainer(method, encoder, run with { Precision = TrainingPrecision.Fp32, Steps = 1 }, data))
    using (torch.NewDisposeScope())
        flops = StepFlops.Count((counting ?? trainer).Model, (counting ?? trainer).MakeInput(0));
    trainer.TrainSteps(options.Warmup);
    var clock = Stopwatch.StartNew();
    trainer.TrainSteps(options.Steps);
    var seconds = clock.Elapsed.TotalSeconds;
    var imagesPerSecond = options.Steps * options.Batch / seconds;
    var gflops = flops * options.Steps / seconds / 1e9;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name,-16} {imagesPerSecond,9:F1} {1000 * seconds / options.Steps,9:F0} {100 * augSeconds / seconds,10:F1}   {flops / 1e9,10:F1} {gflops,9:F1} {100 * gflops / fp32Ceiling,18:F0} % {trainer.RecomputedSteps,11} {trainer.SkippedSteps,9}   {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20),10}"));

    if (options.MemorySteps > 0)
    {
        var samples = new List<long>();
        for (int i = 0; i < options.MemorySteps; i++)
        {
            trainer.TrainSteps(1);
            if (i % Math.Max(1, options.MemorySteps / 10) == 0)
            {
                GC.Collect();
                samples.Add(Process.GetCurrentProcess().WorkingSet64 / (1 << 20));
            }
        }
        Console.WriteLine($"  working set MiB every {Math.Max(1, options.MemorySteps / 10)} steps: {string.Join(" ", samples)}");
    }
}

static ImageDataset RandomImages(int count, int size, int classes)
{
    using var g = new torch.Generator(7);
    var images = torch.randint(0, 256, [count, 3, size, size], generator: g).to(torch.ScalarType.Byte);
    var labels = torch.arange(count) % classes;
    return new ImageDataset(images, labels, Enumerable.Range(0, classes).Select(i => "class" + i).ToArray());
}
