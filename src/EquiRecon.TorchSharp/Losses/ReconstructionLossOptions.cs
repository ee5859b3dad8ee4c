namespace EquiRecon.TorchSharp.Losses;

/// <summary>Options of the pixel reconstruction loss.</summary>
public sealed record ReconstructionLossOptions
{
    /// <summary>
    /// When true, each target patch is normalised by its own mean and (unbiased) variance before the MSE,
    /// as in MAE (He et al. 2022). When false (default) the target is the (already normalised) image patches as given.
    /// </summary>
    public bool PerPatchNormalization { get; init; }

    /// <summary>Added to the per-patch variance before the square root. Default 1e-6 (MAE's value).</summary>
    public double Epsilon { get; init; } = 1e-6;

    /// <summary>Throws when <see cref="Epsilon"/> is not positive.</summary>
    public void Validate() => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epsilon, nameof(Epsilon));
}
