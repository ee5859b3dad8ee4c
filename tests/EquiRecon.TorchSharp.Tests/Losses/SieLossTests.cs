using EquiRecon.TorchSharp.Losses;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Losses;

public sealed class SieLossTests
{
    public SieLossTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void Terms_follow_the_reference_composition()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(2);
        var invA = randn(6, 3, dtype: ScalarType.Float64);
        var invB = randn(6, 3, dtype: ScalarType.Float64);
        var eqvA = randn(6, 2, dtype: ScalarType.Float64);
        var eqvB = randn(6, 2, dtype: ScalarType.Float64);
        var pred = randn(6, 2, dtype: ScalarType.Float64);

        var terms = SieLoss.Compute(invA, invB, eqvA, eqvB, pred);

        var wholeA = cat([invA, eqvA], 1);
        var wholeB = cat([invB, eqvB], 1);
        var inv = (invA - invB).square().mean().item<double>();
        var eqv = (pred - eqvB).square().mean().item<double>();
        var variance = (VicRegLoss.Variance(wholeA).item<double>() + VicRegLoss.Variance(wholeB).item<double>()) / 2;
        var predVariance = VicRegLoss.Variance(pred).item<double>() / 2;
        var covariance = VicRegLoss.Covariance(wholeA).item<double>() + VicRegLoss.Covariance(wholeB).item<double>();

        terms.InvariantSimilarity.item<double>().Should().BeApproximately(inv, 1e-12);
        terms.EquivariantSimilarity.item<double>().Should().BeApproximately(eqv, 1e-12);
        terms.Variance.item<double>().Should().BeApproximately(variance, 1e-12);
        terms.PredictionVariance.item<double>().Should().BeApproximately(predVariance, 1e-12);
        terms.Covariance.item<double>().Should().BeApproximately(covariance, 1e-12);
        // 10·inv + 0.45·10·eqv + 10·(var + predVar) + 1·cov.
        terms.Total.item<double>().Should().BeApproximately(10 * inv + 4.5 * eqv + 10 * (variance + predVariance) + covariance, 1e-10);

        var noPred = SieLoss.Compute(invA, invB, eqvA, eqvB, pred, new SieLossOptions { RegularizePrediction = false });
        noPred.PredictionVariance.item<double>().Should().Be(0);
        noPred.Total.item<double>().Should().BeApproximately(10 * inv + 4.5 * eqv + 10 * variance + covariance, 1e-10);
    }

    [Fact]
    public void Covariance_is_taken_over_the_concatenation_of_both_parts()
    {
        using var scope = NewDisposeScope();
        // Invariant and equivariant parts equal to each other: each part alone is uncorrelated (D = 1),
        // but their concatenation has the off-diagonal covariance Var = 1 (unbiased): (1² + 1²) / 2 per view.
        var part = tensor(new double[,] { { -1 }, { 1 }, { 0 } });
        var terms = SieLoss.Compute(part, part, part, part, part);
        terms.Covariance.item<double>().Should().BeApproximately(2, 1e-12);
        terms.InvariantSimilarity.item<double>().Should().Be(0);
    }

    [Fact]
    public void Mismatched_shapes_are_named()
    {
        using var scope = NewDisposeScope();
        var act = () => SieLoss.Compute(zeros(4, 3), zeros(4, 3), zeros(4, 2), zeros(4, 2), zeros(4, 5));
        act.Should().Throw<ArgumentException>().WithMessage("*[4, 2]*[4, 5]*");
        var batch = () => SieLoss.Compute(zeros(4, 3), zeros(4, 3), zeros(5, 2), zeros(5, 2), zeros(5, 2));
        batch.Should().Throw<ArgumentException>().WithMessage("*batch size*[4, 3]*[5, 2]*");
    }
}
