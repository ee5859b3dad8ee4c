namespace EquiRecon.TorchSharp.Losses;

/// <summary>
/// Coefficients of the SIE loss (Garrido, Najman, LeCun, ICML 2023); the defaults are those of the
/// reference command line (<c>--sim-coeff 10 --std-coeff 10 --cov-coeff 1 --equi-factor 0.45</c>).
/// </summary>
public sealed record SieLossOptions
{
    /// <summary>Weight of the invariant similarity term (SIE's <c>sim_coeff</c>). Default 10.</summary>
    public double SimilarityWeight { get; init; } = 10;

    /// <summary>Weight of the variance terms (SIE's <c>std_coeff</c>). Default 10.</summary>
    public double VarianceWeight { get; init; } = 10;

    /// <summary>Weight of the covariance term (SIE's <c>cov_coeff</c>). Default 1.</summary>
    public double CovarianceWeight { get; init; } = 1;

    /// <summary>
    /// Factor of the equivariant similarity relative to <see cref="SimilarityWeight"/> (SIE's <c>equi_factor</c>):
    /// the equivariant MSE is weighted by <c>EquivariantSimilarityWeight · SimilarityWeight</c>. Default 0.45.
    /// </summary>
    public double EquivariantSimilarityWeight { get; init; } = 0.45;

    /// <summary>
    /// When true (default, SIE's <c>SIE</c> experiment) the predictor's output also gets a variance hinge,
    /// <c>Variance(pred) / 2</c> weighted by <see cref="VarianceWeight"/>; false gives SIE's <c>SIENoVar</c>.
    /// </summary>
    public bool RegularizePrediction { get; init; } = true;

    /// <summary>Added to the variance before the square root. Default 1e-4.</summary>
    public double Epsilon { get; init; } = 1e-4;

    /// <summary>Target standard deviation of the variance hinge. Default 1.</summary>
    public double VarianceTarget { get; init; } = 1;

    /// <summary>Throws when a weight is negative or the epsilon/target is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(SimilarityWeight, nameof(SimilarityWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(VarianceWeight, nameof(VarianceWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(CovarianceWeight, nameof(CovarianceWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(EquivariantSimilarityWeight, nameof(EquivariantSimilarityWeight));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epsilon, nameof(Epsilon));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VarianceTarget, nameof(VarianceTarget));
    }
}
