namespace EquiRecon.Cli.Reports;

/// <summary>One row of <c>results.csv</c>: a method trained with one seed, then probed.</summary>
/// <param name="Method">Method name (a registry name, or <c>random</c> for the untrained encoder).</param>
/// <param name="Seed">Seed of pretraining and probes.</param>
/// <param name="R2">R² in SIE's definition by probe (<c>rot</c>, <c>color</c>, <c>blur</c>, <c>trans</c>).</param>
/// <param name="R2PerOutput">R² in scikit-learn's definition by probe.</param>
/// <param name="Top1">Linear probe top-1 accuracy.</param>
/// <param name="KnnTop1">kNN top-1 accuracy.</param>
/// <param name="Part">The representation part probed.</param>
/// <param name="TrainImages">Images the method pretrained on (0 for <c>random</c>).</param>
/// <param name="Steps">Optimizer steps (0 for <c>random</c>).</param>
/// <param name="TrainSeconds">Wall time of the last training invocation.</param>
/// <param name="EvalSeconds">Wall time of the evaluation.</param>
internal sealed record ResultRow(
    string Method,
    int Seed,
    IReadOnlyDictionary<string, double> R2,
    IReadOnlyDictionary<string, double> R2PerOutput,
    double Top1,
    double KnnTop1,
    string Part,
    int TrainImages,
    int Steps,
    double TrainSeconds,
    double EvalSeconds)
{
    /// <summary>The transformation probes of the tables, in column order (the names of <see cref="Running.BudgetProtocol.Kinds"/>).</summary>
    public static IReadOnlyList<string> Probes { get; } = Running.BudgetProtocol.Kinds.Select(EquiRecon.TorchSharp.Augment.TransformKinds.Name).ToArray();

    /// <summary>SIE's R² of <paramref name="probe"/>, NaN when not measured.</summary>
    public double R2Of(string probe) => R2.TryGetValue(probe, out var v) ? v : double.NaN;

    /// <summary>scikit-learn's R² of <paramref name="probe"/>, NaN when not measured.</summary>
    public double R2PerOutputOf(string probe) => R2PerOutput.TryGetValue(probe, out var v) ? v : double.NaN;
}
