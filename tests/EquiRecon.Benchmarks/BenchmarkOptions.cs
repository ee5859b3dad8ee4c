using System.Globalization;

namespace EquiRecon.Benchmarks;

internal sealed record BenchmarkOptions(string Encoder, int Batch, int Steps, int Warmup, int? Threads, IReadOnlyList<string> Methods, int MemorySteps, int ImageSize, int FrozenStages, int ConvGradientChecks, bool PrecisionCheck, bool Inference, int GuardRuns, EquiRecon.TorchSharp.Training.TrainingPrecision Precision)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        string Get(string name, string fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
        }
        int GetInt(string name, int fallback) => int.Parse(Get(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        var threads = Get("--threads", "");
        return new BenchmarkOptions(
            Get("--encoder", "small-cifar-resnet"),
            GetInt("--batch", 256),
            GetInt("--steps", 5),
            GetInt("--warmup", 1),
            threads.Length == 0 ? null : int.Parse(threads, CultureInfo.InvariantCulture),
            Get("--methods", "equirecon,vicreg,sie-rot,sie-all,supervised").Split(',', StringSplitOptions.RemoveEmptyEntries),
            GetInt("--memory-steps", 0),
            GetInt("--image-size", 32),
            GetInt("--freeze-stages", 0),
            GetInt("--conv-gradient-check", 0),
            args.Contains("--precision-check"),
            args.Contains("--inference"),
            GetInt("--guard-runs", 0),
            Get("--precision", "fp32") == "bf16" ? EquiRecon.TorchSharp.Training.TrainingPrecision.Bf16 : EquiRecon.TorchSharp.Training.TrainingPrecision.Fp32);
    }
}
