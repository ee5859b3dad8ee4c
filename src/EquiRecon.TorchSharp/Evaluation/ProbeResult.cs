using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>What a regression probe scores on the test split.</summary>
/// <param name="RSquaredGlobal">SIE's R² (one global target mean), see <see cref="RSquared.Global(Tensor, Tensor)"/>.</param>
/// <param name="RSquaredPerOutputMean">scikit-learn's R² (uniform average over outputs), see <see cref="RSquared.PerOutputMean(Tensor, Tensor)"/>.</param>
/// <param name="RSquaredPerOutput">The R² of each output column.</param>
/// <param name="Predictions">Test predictions in the targets' units, shape <c>(N_test, k)</c>, float32, on the input device.</param>
/// <param name="FinalTrainLoss">Mean training MSE of the last epoch (in standardised units when targets are standardised).</param>
public sealed record ProbeResult(
    double RSquaredGlobal,
    double RSquaredPerOutputMean,
    IReadOnlyList<double> RSquaredPerOutput,
    Tensor Predictions,
    double FinalTrainLoss);
