using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>The terms of the VICReg loss, each a scalar tensor on the input device (unweighted except <see cref="Total"/>).</summary>
/// <param name="Invariance">MSE between the two branches.</param>
/// <param name="Variance">Standard-deviation hinge, averaged over the two branches: <c>(v(a) + v(b)) / 2</c>.</param>
/// <param name="Covariance">Off-diagonal covariance penalty, summed over the two branches: <c>c(a) + c(b)</c>.</param>
/// <param name="Total">The weighted sum <c>λ·Invariance + μ·Variance + ν·Covariance</c>; call <c>backward()</c> on it.</param>
public sealed record VicRegTerms(Tensor Invariance, Tensor Variance, Tensor Covariance, Tensor Total);
