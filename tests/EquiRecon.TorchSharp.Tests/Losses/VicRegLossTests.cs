using EquiRecon.TorchSharp.Losses;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Losses;

public sealed class VicRegLossTests
{
    public VicRegLossTests() => TorchNative.EnsureLoaded();

    // za = [[0, 0], [2, 2]], zb = [[0, 0], [1, 0]] (B = 2, D = 2).
    private static Tensor Za() => tensor(new double[,] { { 0, 0 }, { 2, 2 } });
    private static Tensor Zb() => tensor(new double[,] { { 0, 0 }, { 1, 0 } });

    [Fact]
    public void Invariance_is_the_mean_squared_difference()
    {
        using var scope = NewDisposeScope();
        // Differences 0, 0, 1, 2 → squares 0, 0, 1, 4 → mean 5 / 4.
        VicRegLoss.Invariance(Za(), Zb()).item<double>().Should().BeApproximately(1.25, 1e-12);
    }

    [Fact]
    public void Variance_hinges_the_unbiased_standard_deviation()
    {
        using var scope = NewDisposeScope();
        // za: unbiased variances 2 and 2 → std √2.0001 > 1 → 0.
        VicRegLoss.Variance(Za()).item<double>().Should().BeApproximately(0, 1e-12);
        // zb: variances 0.5 and 0 → relu(1 − √0.5001) = 0.292822…, relu(1 − √0.0001) = 0.99 → mean 0.641411…
        var expected = ((1 - Math.Sqrt(0.5001)) + (1 - Math.Sqrt(0.0001))) / 2;
        VicRegLoss.Variance(Zb()).item<double>().Should().BeApproximately(expected, 1e-12);
        // Target 0.5 with zb: relu(0.5 − 0.707…) = 0, relu(0.5 − 0.01) = 0.49 → 0.245.
        VicRegLoss.Variance(Zb(), 1e-4, 0.5).item<double>().Should().BeApproximately(0.245, 1e-12);
    }

    [Fact]
    public void Covariance_sums_squared_off_diagonal_entries_over_the_dimension()
    {
        using var scope = NewDisposeScope();
        // za centred: [[−1, −1], [1, 1]] → C = zᵀz / (2 − 1) = [[2, 2], [2, 2]] → off-diagonal² sum 8 → / D = 4.
        VicRegLoss.Covariance(Za()).item<double>().Should().BeApproximately(4, 1e-12);
        // zb centred: [[−.5, 0], [.5, 0]] → C = [[.5, 0], [0, 0]] → 0.
        VicRegLoss.Covariance(Zb()).item<double>().Should().BeApproximately(0, 1e-12);
    }

    [Fact]
    public void Compute_weights_the_terms_and_averages_variance_over_branches()
    {
        using var scope = NewDisposeScope();
        var terms = VicRegLoss.Compute(Za(), Zb());
        var variance = ((1 - Math.Sqrt(0.5001)) + 0.99) / 2 / 2;
        terms.Invariance.item<double>().Should().BeApproximately(1.25, 1e-12);
        terms.Variance.item<double>().Should().BeApproximately(variance, 1e-12);
        terms.Covariance.item<double>().Should().BeApproximately(4, 1e-12);
        terms.Total.item<double>().Should().BeApproximately(25 * 1.25 + 25 * variance + 4, 1e-10);

        var custom = VicRegLoss.Compute(Za(), Zb(), new VicRegOptions { InvarianceWeight = 1, VarianceWeight = 2, CovarianceWeight = 3 });
        custom.Total.item<double>().Should().BeApproximately(1.25 + 2 * variance + 12, 1e-10);
    }

    [Fact]
    public void Covariance_matches_a_naive_loop_on_random_data()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var z = randn(7, 5, dtype: ScalarType.Float64);
        var a = new double[7, 5];
        for (var i = 0; i < 7; i++)
            for (var j = 0; j < 5; j++)
                a[i, j] = z[i, j].item<double>();
        var mean = new double[5];
        for (var j = 0; j < 5; j++)
            for (var i = 0; i < 7; i++)
                mean[j] += a[i, j] / 7;
        double expected = 0;
        for (var p = 0; p < 5; p++)
            for (var q = 0; q < 5; q++)
            {
                if (p == q) continue;
                double c = 0;
                for (var i = 0; i < 7; i++)
                    c += (a[i, p] - mean[p]) * (a[i, q] - mean[q]);
                c /= 6;
                expected += c * c;
            }
        VicRegLoss.Covariance(z).item<double>().Should().BeApproximately(expected / 5, 1e-10);
    }

    [Fact]
    public void Total_backpropagates_and_stays_on_the_input_device()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        var za = randn(8, 4, requires_grad: true);
        var zb = randn(8, 4, requires_grad: true);
        var terms = VicRegLoss.Compute(za, zb);
        terms.Total.shape.Should().BeEmpty();
        terms.Total.device_type.Should().Be(za.device_type);
        terms.Total.backward();
        za.grad.Should().NotBeNull();
        za.grad!.abs().sum().item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void Bad_inputs_throw_clear_argument_exceptions()
    {
        using var scope = NewDisposeScope();
        var single = zeros(1, 4);
        var act = () => VicRegLoss.Variance(single);
        act.Should().Throw<ArgumentException>().WithMessage("*at least 2*[1, 4]*");

        var mismatch = () => VicRegLoss.Compute(zeros(4, 3), zeros(4, 5));
        mismatch.Should().Throw<ArgumentException>().WithMessage("*[4, 3]*[4, 5]*");

        var notTwoD = () => VicRegLoss.Covariance(zeros(2, 3, 4));
        notTwoD.Should().Throw<ArgumentException>().WithMessage("*(B, D)*[2, 3, 4]*");

        var badOptions = () => VicRegLoss.Compute(zeros(4, 3), zeros(4, 3), new VicRegOptions { Epsilon = 0 });
        badOptions.Should().Throw<ArgumentOutOfRangeException>();
    }
}
