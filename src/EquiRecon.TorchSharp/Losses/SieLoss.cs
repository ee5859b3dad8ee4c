using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>
/// SIE loss (Split Invariant-Equivariant, facebookresearch/SIE): VICReg-style similarity on the invariant
/// embeddings, a weighted similarity between the predicted and the actual equivariant embedding of view B,
/// and variance/covariance regularisation on the concatenation <c>[inv, eqv]</c> of each view (so the
/// redundancy between the two parts is penalised too). Reuses <see cref="VicRegLoss"/>'s terms.
/// </summary>
public static class SieLoss
{
    /// <summary>Invariant similarity: MSE between the invariant embeddings of the two views.</summary>
    /// <param name="invariantA">Projected invariant part of view A, shape <c>(B, Di)</c>.</param>
    /// <param name="invariantB">Projected invariant part of view B, shape <c>(B, Di)</c>.</param>
    /// <returns>Scalar tensor.</returns>
    public static Tensor InvariantSimilarity(Tensor invariantA, Tensor invariantB) => VicRegLoss.Invariance(invariantA, invariantB);

    /// <summary>Equivariant similarity: MSE between the prediction of view B's equivariant embedding (from view A's) and the actual one.</summary>
    /// <param name="predictedB">Predicted equivariant embedding of view B, shape <c>(B, De)</c>.</param>
    /// <param name="equivariantB">Projected equivariant part of view B, shape <c>(B, De)</c>.</param>
    /// <returns>Scalar tensor.</returns>
    public static Tensor EquivariantSimilarity(Tensor predictedB, Tensor equivariantB) => VicRegLoss.Invariance(predictedB, equivariantB);

    /// <summary>
    /// The SIE loss: <c>s·InvSim + e·s·EqvSim + v·(Variance + PredictionVariance) + c·Covariance</c> with
    /// <c>s, e, v, c</c> = similarity, equivariant factor, variance and covariance weights, where
    /// Variance = <c>(V([invA, eqvA]) + V([invB, eqvB])) / 2</c>, PredictionVariance = <c>V(pred) / 2</c> (when enabled)
    /// and Covariance = <c>C([invA, eqvA]) + C([invB, eqvB])</c>.
    /// </summary>
    /// <param name="invariantA">Projected invariant part of view A, shape <c>(B, Di)</c>.</param>
    /// <param name="invariantB">Projected invariant part of view B, shape <c>(B, Di)</c>.</param>
    /// <param name="equivariantA">Projected equivariant part of view A, shape <c>(B, De)</c>.</param>
    /// <param name="equivariantB">Projected equivariant part of view B, shape <c>(B, De)</c>.</param>
    /// <param name="predictedB">View B's equivariant embedding predicted from view A's and the transformation, shape <c>(B, De)</c>.</param>
    /// <param name="options">Coefficients; null for SIE's defaults.</param>
    /// <returns>The terms and their weighted total, scalar tensors on the input device.</returns>
    public static SieTerms Compute(Tensor invariantA, Tensor invariantB, Tensor equivariantA, Tensor equivariantB, Tensor predictedB, SieLossOptions? options = null)
    {
        options ??= new SieLossOptions();
        options.Validate();
        LossChecks.Embedding(invariantA, nameof(invariantA));
        LossChecks.Embedding(equivariantA, nameof(equivariantA));
        LossChecks.SameBatch(invariantA, equivariantA, nameof(invariantA), nameof(equivariantA));
        LossChecks.Embedding(invariantB, nameof(invariantB));
        LossChecks.SameShape(invariantA, invariantB, nameof(invariantA), nameof(invariantB));
        LossChecks.Embedding(equivariantB, nameof(equivariantB));
        LossChecks.SameShape(equivariantA, equivariantB, nameof(equivariantA), nameof(equivariantB));
        LossChecks.Embedding(predictedB, nameof(predictedB));
        LossChecks.SameShape(equivariantB, predictedB, nameof(equivariantB), nameof(predictedB));

        using var scope = NewDisposeScope();
        var invariantSimilarity = InvariantSimilarity(invariantA, invariantB);
        var equivariantSimilarity = EquivariantSimilarity(predictedB, equivariantB);
        var wholeA = cat([invariantA, equivariantA], 1);
        var wholeB = cat([invariantB, equivariantB], 1);
        var variance = (VicRegLoss.Variance(wholeA, options.Epsilon, options.VarianceTarget)
                        + VicRegLoss.Variance(wholeB, options.Epsilon, options.VarianceTarget)) / 2;
        var predictionVariance = options.RegularizePrediction
            ? VicRegLoss.Variance(predictedB, options.Epsilon, options.VarianceTarget) / 2
            : zeros([], dtype: variance.dtype, device: variance.device);
        var covariance = VicRegLoss.Covariance(wholeA) + VicRegLoss.Covariance(wholeB);
        var total = options.SimilarityWeight * invariantSimilarity
                    + options.EquivariantSimilarityWeight * options.SimilarityWeight * equivariantSimilarity
                    + options.VarianceWeight * (variance + predictionVariance)
                    + options.CovarianceWeight * covariance;
        return new SieTerms(
            invariantSimilarity.MoveToOuterDisposeScope(),
            equivariantSimilarity.MoveToOuterDisposeScope(),
            variance.MoveToOuterDisposeScope(),
            predictionVariance.MoveToOuterDisposeScope(),
            covariance.MoveToOuterDisposeScope(),
            total.MoveToOuterDisposeScope());
    }
}
