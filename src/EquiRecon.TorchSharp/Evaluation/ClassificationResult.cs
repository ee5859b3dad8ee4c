using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>What a classification probe scores on the test split.</summary>
/// <param name="Top1">Top-1 accuracy in <c>[0, 1]</c>.</param>
/// <param name="Predictions">Predicted class of every test sample, shape <c>(N_test)</c>, int64, on the input device.</param>
public sealed record ClassificationResult(double Top1, Tensor Predictions);
