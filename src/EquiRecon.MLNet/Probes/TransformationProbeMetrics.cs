namespace EquiRecon.MLNet.Probes;

/// <summary>How well a <see cref="TransformationProbeTransformer"/> predicts known transformations of held-out images.</summary>
/// <param name="RSquaredGlobal">SIE's R²: one mean over all target entries (<c>EquiRecon.TorchSharp.Evaluation.RSquared.Global</c>).</param>
/// <param name="RSquaredPerOutputMean">scikit-learn's R²: the mean of the per-parameter R² values.</param>
/// <param name="RSquaredPerOutput">The R² of each parameter, in output order.</param>
/// <param name="Samples">Number of transformed images scored.</param>
public sealed record TransformationProbeMetrics(
    double RSquaredGlobal,
    double RSquaredPerOutputMean,
    IReadOnlyList<double> RSquaredPerOutput,
    int Samples);
