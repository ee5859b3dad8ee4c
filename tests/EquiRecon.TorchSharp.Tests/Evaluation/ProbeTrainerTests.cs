using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Evaluation;

public sealed class ProbeTrainerTests
{
    public ProbeTrainerTests() => TorchNative.EnsureLoaded();

    private static readonly ProbeOptions Small = new() { Hidden = 32, Epochs = 40, BatchSize = 64, LearningRate = 3e-3, Seed = 7 };

    [Fact]
    public void Recovers_a_linear_relation_on_held_out_data()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        var a = randn(6, 3);
        var b = tensor(new float[] { 5, -2, 30 });
        var x = randn(600, 6);
        var y = x.matmul(a) + b;
        var result = ProbeTrainer.Fit(x[..400], y[..400], x[400..], y[400..], Small);
        result.RSquaredPerOutputMean.Should().BeGreaterThan(0.95);
        result.RSquaredGlobal.Should().BeGreaterThan(0.95);
        result.RSquaredPerOutput.Should().HaveCount(3);
        result.Predictions.shape.Should().Equal(200, 3);
        double.IsFinite(result.FinalTrainLoss).Should().BeTrue();
    }

    [Fact]
    public void Scores_about_zero_on_noise_targets()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(12);
        var x = randn(600, 6);
        var y = randn(600, 2);
        var result = ProbeTrainer.Fit(x[..400], y[..400], x[400..], y[400..], Small with { Epochs = 10 });
        result.RSquaredPerOutputMean.Should().BeLessThan(0.1);
        result.RSquaredGlobal.Should().BeLessThan(0.1);
    }

    [Fact]
    public void Same_seed_gives_the_same_predictions_with_batch_norm()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(13);
        var x = randn(65, 4);
        var y = x.sum(1, keepdim: true);
        var options = Small with { Epochs = 3, BatchSize = 16, BatchNorm = true };
        var first = ProbeTrainer.Fit(x[..33], y[..33], x[33..], y[33..], options);
        var second = ProbeTrainer.Fit(x[..33], y[..33], x[33..], y[33..], options);
        first.Predictions.eq(second.Predictions).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Probe_mlp_parameter_names_are_pinned()
    {
        using var generator = new Generator(1);
        using var plain = ProbeTrainer.BuildMlp(4, 8, 2, batchNorm: false, generator);
        plain.named_parameters().Select(p => p.name).Should().Equal(
            "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias");
        using var withBn = ProbeTrainer.BuildMlp(4, 8, 2, batchNorm: true, generator);
        withBn.named_parameters().Select(p => p.name).Should().Equal(
            "fc1.weight", "fc1.bias", "bn1.weight", "bn1.bias", "fc2.weight", "fc2.bias", "bn2.weight", "bn2.bias", "fc3.weight", "fc3.bias");
    }

    [Fact]
    public void Mismatched_targets_are_named()
    {
        using var scope = NewDisposeScope();
        var act = () => ProbeTrainer.Fit(zeros(10, 3), zeros(9, 2), zeros(4, 3), zeros(4, 2), Small);
        act.Should().Throw<ArgumentException>().WithMessage("*(10, k)*[10, 3]*[9, 2]*");
    }
}
