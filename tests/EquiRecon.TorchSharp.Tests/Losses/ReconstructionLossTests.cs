using EquiRecon.TorchSharp.Losses;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Losses;

public sealed class ReconstructionLossTests
{
    public ReconstructionLossTests() => TorchNative.EnsureLoaded();

    private static Tensor Target() => tensor(new double[] { 1, 2, 3, 4 }).reshape(1, 1, 4);

    [Fact]
    public void Mse_against_the_raw_target()
    {
        using var scope = NewDisposeScope();
        // (1 + 4 + 9 + 16) / 4 = 7.5.
        ReconstructionLoss.Compute(zeros(1, 1, 4, dtype: ScalarType.Float64), Target()).item<double>().Should().BeApproximately(7.5, 1e-12);
        ReconstructionLoss.Mse(zeros(1, 1, 4, dtype: ScalarType.Float64), Target()).item<double>().Should().BeApproximately(7.5, 1e-12);
    }

    [Fact]
    public void Per_patch_normalization_uses_the_patch_mean_and_unbiased_variance()
    {
        using var scope = NewDisposeScope();
        // Mean 2.5, unbiased variance (2.25 + .25 + .25 + 2.25) / 3 = 5/3 → normalised squares sum to 3 → MSE 0.75.
        var normalized = ReconstructionLoss.NormalizePatches(Target());
        normalized[0, 0, 0].item<double>().Should().BeApproximately(-1.5 / Math.Sqrt(5.0 / 3 + 1e-6), 1e-12);
        var loss = ReconstructionLoss.Compute(zeros(1, 1, 4, dtype: ScalarType.Float64), Target(), new ReconstructionLossOptions { PerPatchNormalization = true });
        loss.item<double>().Should().BeApproximately(3.0 / 4 * (5.0 / 3) / (5.0 / 3 + 1e-6), 1e-12);
    }

    [Fact]
    public void Gradient_flows_into_the_prediction_only()
    {
        using var scope = NewDisposeScope();
        var predicted = zeros(2, 3, 4, requires_grad: true);
        var target = ones(2, 3, 4, requires_grad: true);
        ReconstructionLoss.Compute(predicted, target).backward();
        predicted.grad.Should().NotBeNull();
        target.grad.Should().BeNull();
    }

    [Fact]
    public void Shape_mismatch_is_named()
    {
        using var scope = NewDisposeScope();
        var act = () => ReconstructionLoss.Compute(zeros(2, 3, 4), zeros(2, 4, 4));
        act.Should().Throw<ArgumentException>().WithMessage("*[2, 3, 4]*[2, 4, 4]*");
        var twoD = () => ReconstructionLoss.Mse(zeros(2, 3), zeros(2, 3));
        twoD.Should().Throw<ArgumentException>().WithMessage("*(B, N, P)*[2, 3]*");
    }
}
