namespace EquiRecon.TorchSharp.Training;

/// <summary>One progress report of the pretraining loop (sent through <see cref="IProgress{T}"/> and written to the metrics log).</summary>
/// <param name="Step">Optimizer steps completed.</param>
/// <param name="TotalSteps">Optimizer steps planned.</param>
/// <param name="Epoch">Current epoch (0-based): passes over the data so far.</param>
/// <param name="Losses">Each loss term by name, and <c>total</c>.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="ImagesPerSecond">Throughput since the previous report, in images (each image contributes two views).</param>
/// <param name="Elapsed">Wall time since this run (or resume) started.</param>
/// <param name="Remaining">Estimated time to finish.</param>
public sealed record TrainingProgress(
    int Step,
    int TotalSteps,
    int Epoch,
    IReadOnlyDictionary<string, double> Losses,
    double LearningRate,
    double ImagesPerSecond,
    TimeSpan Elapsed,
    TimeSpan Remaining)
{
    /// <summary>Steps so far whose first pass was not finite and whose recomputation was (docs/benchmarks.md, "The finite-step guard").</summary>
    public int RecomputedSteps { get; init; }

    /// <summary>Steps so far skipped because the recomputed pass was not finite either.</summary>
    public int SkippedSteps { get; init; }

    /// <summary>The guard's counts in words for progress lines (<c>"non-finite steps: 1 recomputed, 0 skipped"</c>), or null when both are 0.</summary>
    public string? GuardSummary => RecomputedSteps == 0 && SkippedSteps == 0
        ? null
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"non-finite steps: {RecomputedSteps} recomputed, {SkippedSteps} skipped");
}
