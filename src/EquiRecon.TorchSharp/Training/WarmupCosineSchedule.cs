namespace EquiRecon.TorchSharp.Training;

/// <summary>
/// Linear warm-up from 0 to the peak learning rate over <see cref="WarmupSteps"/> steps, then a
/// half-cosine decay to <c>peak · MinRatio</c> at <see cref="TotalSteps"/>. A pure function of
/// the step, so resuming needs nothing but the step.
/// </summary>
public sealed record WarmupCosineSchedule
{
    /// <summary>Creates the schedule.</summary>
    public WarmupCosineSchedule(double peak, int totalSteps, int warmupSteps, double minRatio = 0.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(peak);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(warmupSteps, totalSteps);
        if (minRatio is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(minRatio), minRatio, "The final learning rate ratio must lie in [0, 1].");
        Peak = peak; TotalSteps = totalSteps; WarmupSteps = warmupSteps; MinRatio = minRatio;
    }

    /// <summary>The peak learning rate, reached at the end of warm-up.</summary>
    public double Peak { get; }
    /// <summary>Total optimizer steps.</summary>
    public int TotalSteps { get; }
    /// <summary>Steps of linear warm-up.</summary>
    public int WarmupSteps { get; }
    /// <summary>Final learning rate as a fraction of the peak.</summary>
    public double MinRatio { get; }

    /// <summary>The learning rate used for optimizer step <paramref name="step"/> (0-based).</summary>
    public double At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps)
            return Peak * (step + 1) / WarmupSteps;
        var decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        var t = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        return Peak * (MinRatio + (1 - MinRatio) * 0.5 * (1 + Math.Cos(Math.PI * t)));
    }
}
