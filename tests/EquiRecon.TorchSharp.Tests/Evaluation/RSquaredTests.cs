using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Evaluation;

public sealed class RSquaredTests
{
    public RSquaredTests() => TorchNative.EnsureLoaded();

    // Columns with very different means: y = [[1, 10], [2, 20], [3, 30]].
    private static readonly double[,] Target = { { 1, 10 }, { 2, 20 }, { 3, 30 } };

    [Fact]
    public void Hand_computed_values_of_both_definitions()
    {
        double[,] predicted = { { 1, 12 }, { 2, 18 }, { 3, 30 } };
        // Per output: column 0 is perfect → 1; column 1: mean 20, SS_tot = 100 + 0 + 100 = 200, SS_res = 4 + 4 + 0 = 8 → 0.96.
        // scikit-learn's uniform average: (1 + 0.96) / 2 = 0.98.
        RSquared.PerOutputMean(predicted, Target).Should().BeApproximately(0.98, 1e-12);
        // Global: one mean over all six entries = 66 / 6 = 11, SS_tot = 100 + 81 + 64 + 1 + 81 + 361 = 688, SS_res = 8 → 1 − 8/688.
        RSquared.Global(predicted, Target).Should().BeApproximately(1 - 8.0 / 688, 1e-12);

        using var scope = NewDisposeScope();
        RSquared.PerOutput(tensor(predicted), tensor(Target)).Should().Equal(1.0, 0.96);
    }

    [Fact]
    public void Definitions_differ_when_predicting_each_column_mean()
    {
        // Predicting the column means [2, 20]: per-output R² is 0 for each column, so the average is 0,
        // while the global definition credits the difference between the column means:
        // SS_res = 1 + 0 + 1 + 100 + 0 + 100 = 202 → 1 − 202/688 ≈ 0.706.
        double[,] predicted = { { 2, 20 }, { 2, 20 }, { 2, 20 } };
        RSquared.PerOutputMean(predicted, Target).Should().BeApproximately(0, 1e-12);
        RSquared.Global(predicted, Target).Should().BeApproximately(1 - 202.0 / 688, 1e-12);
    }

    [Fact]
    public void Constant_target_columns_follow_scikit_learn()
    {
        // Column 1 has zero variance: perfect prediction → 1, otherwise → 0 (scikit-learn's force_finite).
        double[,] target = { { 1, 5 }, { 2, 5 }, { 3, 5 } };
        RSquared.PerOutputMean(target, target).Should().Be(1);
        double[,] predicted = { { 1, 5 }, { 2, 5 }, { 3, 6 } };
        RSquared.PerOutputMean(predicted, target).Should().BeApproximately(0.5, 1e-12);
    }

    [Fact]
    public void One_dimensional_tensors_are_one_column()
    {
        using var scope = NewDisposeScope();
        // y = [1, 2, 3], ŷ = [1, 2, 4]: mean 2, SS_tot = 2, SS_res = 1 → 0.5 in both definitions.
        var y = tensor(new float[] { 1, 2, 3 });
        var p = tensor(new float[] { 1, 2, 4 });
        RSquared.Global(p, y).Should().BeApproximately(0.5, 1e-12);
        RSquared.PerOutputMean(p, y).Should().BeApproximately(0.5, 1e-12);
    }

    [Fact]
    public void Shape_mismatch_is_named()
    {
        using var scope = NewDisposeScope();
        var act = () => RSquared.Global(zeros(4, 2), zeros(4, 3));
        act.Should().Throw<ArgumentException>().WithMessage("*[4, 2]*[4, 3]*");
    }
}
