using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>The terms of the SIE loss, each a scalar tensor on the input device (unweighted except <see cref="Total"/>).</summary>
/// <param name="InvariantSimilarity">MSE between the invariant embeddings of the two views.</param>
/// <param name="EquivariantSimilarity">MSE between the predicted and the actual equivariant embedding of view B.</param>
/// <param name="Variance">Variance hinge on <c>[inv, eqv]</c>, averaged over the two views.</param>
/// <param name="PredictionVariance">Variance hinge on the predictor's output, halved as in SIE; zero when not regularised.</param>
/// <param name="Covariance">Covariance penalty on <c>[inv, eqv]</c>, summed over the two views.</param>
/// <param name="Total">The weighted sum; call <c>backward()</c> on it.</param>
public sealed record SieTerms(
    Tensor InvariantSimilarity,
    Tensor EquivariantSimilarity,
    Tensor Variance,
    Tensor PredictionVariance,
    Tensor Covariance,
    Tensor Total);
