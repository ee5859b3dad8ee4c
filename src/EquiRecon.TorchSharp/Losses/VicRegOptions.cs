namespace EquiRecon.TorchSharp.Losses;

/// <summary>Coefficients of the VICReg loss (Bardes, Ponce, LeCun 2022); the defaults are the paper's.</summary>
public sealed record VicRegOptions
{
    /// <summary>Weight λ of the invariance (MSE) term. Default 25.</summary>
    public double InvarianceWeight { get; init; } = 25;

    /// <summary>Weight μ of the variance (standard-deviation hinge) term. Default 25.</summary>
    public double VarianceWeight { get; init; } = 25;

    /// <summary>Weight ν of the covariance term. Default 1.</summary>
    public double CovarianceWeight { get; init; } = 1;

    /// <summary>Added to the variance before the square root, for numerical stability. Default 1e-4.</summary>
    public double Epsilon { get; init; } = 1e-4;

    /// <summary>Target standard deviation γ of every embedding dimension (the hinge). Default 1.</summary>
    public double VarianceTarget { get; init; } = 1;

    /// <summary>Throws when a weight is negative or the epsilon/target is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(InvarianceWeight, nameof(InvarianceWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(VarianceWeight, nameof(VarianceWeight));
        ArgumentOutOfRangeException.ThrowIfNegative(CovarianceWeight, nameof(CovarianceWeight));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epsilon, nameof(Epsilon));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VarianceTarget, nameof(VarianceTarget));
    }
}
