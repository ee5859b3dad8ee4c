using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>
/// VICReg loss (Bardes, Ponce, LeCun, ICLR 2022) as in facebookresearch/vicreg: invariance (MSE between
/// the branches), variance (hinge on each dimension's standard deviation) and covariance (squared
/// off-diagonal covariances). Each term is a separate function so other losses (SIE) can reuse it.
/// All results are scalar tensors on the input device; nothing is copied to the host.
/// </summary>
public static class VicRegLoss
{
    /// <summary>Invariance term: mean squared error between the two branches.</summary>
    /// <param name="za">Embeddings of view A, shape <c>(B, D)</c>.</param>
    /// <param name="zb">Embeddings of view B, shape <c>(B, D)</c>.</param>
    /// <returns>Scalar tensor <c>mean((za − zb)²)</c>.</returns>
    public static Tensor Invariance(Tensor za, Tensor zb)
    {
        LossChecks.Embedding(za, nameof(za));
        LossChecks.Embedding(zb, nameof(zb));
        LossChecks.SameShape(za, zb, nameof(za), nameof(zb));
        return nn.functional.mse_loss(za, zb);
    }

    /// <summary>
    /// Variance term: <c>mean_d relu(γ − sqrt(Var_b(z[:, d]) + ε))</c> with the unbiased batch variance,
    /// which keeps every dimension's standard deviation at or above <paramref name="target"/>.
    /// </summary>
    /// <param name="z">Embeddings, shape <c>(B, D)</c> with <c>B ≥ 2</c>.</param>
    /// <param name="epsilon">Added to the variance before the square root.</param>
    /// <param name="target">The hinge γ.</param>
    /// <returns>Scalar tensor.</returns>
    public static Tensor Variance(Tensor z, double epsilon = 1e-4, double target = 1)
    {
        LossChecks.Embedding(z, nameof(z));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epsilon);
        using var scope = NewDisposeScope();
        var std = (z.var(0, unbiased: true) + epsilon).sqrt();
        var loss = nn.functional.relu(target - std).mean();
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Covariance term: the sum of the squared off-diagonal entries of the batch covariance
    /// <c>C = (z − z̄)ᵀ(z − z̄) / (B − 1)</c> (B is the actual batch size), divided by <c>D</c>.
    /// </summary>
    /// <param name="z">Embeddings, shape <c>(B, D)</c> with <c>B ≥ 2</c>.</param>
    /// <returns>Scalar tensor.</returns>
    public static Tensor Covariance(Tensor z)
    {
        LossChecks.Embedding(z, nameof(z));
        using var scope = NewDisposeScope();
        var (batch, dim) = (z.shape[0], z.shape[1]);
        var centered = z - z.mean([0L], keepdim: true);
        var cov = centered.t().matmul(centered) / (batch - 1);
        var offDiagonal = cov * (1 - eye(dim, dtype: cov.dtype, device: cov.device));
        var loss = offDiagonal.square().sum() / dim;
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The full VICReg loss of two branches: <c>λ·Invariance(a, b) + μ·(Variance(a) + Variance(b)) / 2 + ν·(Covariance(a) + Covariance(b))</c>.
    /// </summary>
    /// <param name="za">Embeddings of view A, shape <c>(B, D)</c>.</param>
    /// <param name="zb">Embeddings of view B, shape <c>(B, D)</c>.</param>
    /// <param name="options">Coefficients; null for the paper's 25 / 25 / 1.</param>
    /// <returns>The terms and their weighted total, scalar tensors on the input device.</returns>
    public static VicRegTerms Compute(Tensor za, Tensor zb, VicRegOptions? options = null)
    {
        options ??= new VicRegOptions();
        options.Validate();
        using var scope = NewDisposeScope();
        var invariance = Invariance(za, zb);
        var variance = (Variance(za, options.Epsilon, options.VarianceTarget) + Variance(zb, options.Epsilon, options.VarianceTarget)) / 2;
        var covariance = Covariance(za) + Covariance(zb);
        var total = options.InvarianceWeight * invariance + options.VarianceWeight * variance + options.CovarianceWeight * covariance;
        return new VicRegTerms(
            invariance.MoveToOuterDisposeScope(),
            variance.MoveToOuterDisposeScope(),
            covariance.MoveToOuterDisposeScope(),
            total.MoveToOuterDisposeScope());
    }
}
