using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>
/// Pixel reconstruction loss between predicted and target patches, optionally with MAE-style per-patch
/// normalisation of the target. Results are scalar tensors on the input device.
/// </summary>
public static class ReconstructionLoss
{
    /// <summary>Mean squared error over all patches and pixels.</summary>
    /// <param name="predicted">Predicted patches, shape <c>(B, N, P)</c> (<c>P = patch² · channels</c>).</param>
    /// <param name="target">Target patches, shape <c>(B, N, P)</c>.</param>
    /// <returns>Scalar tensor <c>mean((predicted − target)²)</c>.</returns>
    public static Tensor Mse(Tensor predicted, Tensor target)
    {
        CheckPatches(predicted, nameof(predicted));
        CheckPatches(target, nameof(target));
        LossChecks.SameShape(predicted, target, nameof(predicted), nameof(target));
        return nn.functional.mse_loss(predicted, target);
    }

    /// <summary>
    /// Normalises each patch by its own statistics: <c>(t − mean(t)) / sqrt(var(t) + ε)</c> over the last dimension
    /// (unbiased variance, as MAE does).
    /// </summary>
    /// <param name="target">Patches, shape <c>(B, N, P)</c> with <c>P ≥ 2</c>.</param>
    /// <param name="epsilon">Added to the variance before the square root.</param>
    /// <returns>Normalised patches, shape <c>(B, N, P)</c>.</returns>
    public static Tensor NormalizePatches(Tensor target, double epsilon = 1e-6)
    {
        CheckPatches(target, nameof(target));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        if (target.shape[2] < 2)
            throw new ArgumentException($"Per-patch normalisation needs at least 2 values per patch, got shape {TensorShapes.Shape(target)}.", nameof(target));
        using var scope = NewDisposeScope();
        var mean = target.mean([-1L], keepdim: true);
        var variance = target.var(-1, unbiased: true, keepdim: true);
        var normalized = (target - mean) / (variance + epsilon).sqrt();
        return normalized.MoveToOuterDisposeScope();
    }

    /// <summary>The reconstruction loss: <see cref="Mse"/> against the target, normalised per patch when the options say so.</summary>
    /// <param name="predicted">Predicted patches, shape <c>(B, N, P)</c>.</param>
    /// <param name="target">Target patches, shape <c>(B, N, P)</c>; no gradient flows into it.</param>
    /// <param name="options">Options; null for the defaults (no per-patch normalisation).</param>
    /// <returns>Scalar tensor on the input device.</returns>
    public static Tensor Compute(Tensor predicted, Tensor target, ReconstructionLossOptions? options = null)
    {
        options ??= new ReconstructionLossOptions();
        options.Validate();
        CheckPatches(predicted, nameof(predicted));
        CheckPatches(target, nameof(target));
        LossChecks.SameShape(predicted, target, nameof(predicted), nameof(target));
        using var scope = NewDisposeScope();
        var goal = target.detach();
        if (options.PerPatchNormalization)
            goal = NormalizePatches(goal, options.Epsilon);
        return Mse(predicted, goal).MoveToOuterDisposeScope();
    }

    private static void CheckPatches(Tensor t, string name)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.ndim != 3)
            throw new ArgumentException($"Expected patches of shape (B, N, P), got shape {TensorShapes.Shape(t)}.", name);
    }
}
