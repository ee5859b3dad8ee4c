using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Evaluation;

public sealed class RegressionProbeTrainerTests
{
    public RegressionProbeTrainerTests() => TorchNative.EnsureLoaded();

    private static readonly ProbeOptions Small = new() { Hidden = 32, Epochs = 20, BatchSize = 64, LearningRate = 3e-3, Seed = 7 };

    [Fact]
    public void The_fitted_model_predicts_exactly_what_ProbeTrainer_scores()
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        var a = randn(6, 3);
        var b = tensor(new float[] { 5, -2, 30 });
        var x = randn(600, 6);
        var y = x.matmul(a) + b;

        using var model = RegressionProbeTrainer.Fit(x[..400], y[..400], Small);
        var reference = ProbeTrainer.Fit(x[..400], y[..400], x[400..], y[400..], Small);
        using var noGrad = no_grad();
        var predicted = model.call(x[400..]);

        predicted.allclose(reference.Predictions, rtol: 1e-5, atol: 1e-5).Should().BeTrue();
        RSquared.Global(predicted, y[400..]).Should().BeGreaterThan(0.95);
        model.training.Should().BeFalse();
    }

    [Fact]
    public void Bytes_round_trip_gives_the_same_predictions_and_names_are_pinned()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var x = randn(64, 4);
        var y = x.sum(1, keepdim: true) * 3 + 1;
        using var model = RegressionProbeTrainer.Fit(x, y, Small with { Epochs = 3, BatchNorm = true });

        using var restored = RegressionProbeModel.FromBytes(model.ToBytes());
        using var noGrad = no_grad();

        restored.call(x).eq(model.call(x)).all().item<bool>().Should().BeTrue();
        (restored.InputDim, restored.Hidden, restored.OutputDim, restored.BatchNorm).Should().Be((4, 32, 1, true));
        model.named_parameters().Select(p => p.name).Should().Equal(
            "mlp.fc1.weight", "mlp.fc1.bias", "mlp.bn1.weight", "mlp.bn1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
            "mlp.bn2.weight", "mlp.bn2.bias", "mlp.fc3.weight", "mlp.fc3.bias");
        model.named_buffers().Select(p => p.name).Should().Contain(["input_mean", "input_std", "target_mean", "target_std"]);
    }

    [Fact]
    public void Statistics_map_predictions_back_to_target_units()
    {
        using var scope = NewDisposeScope();
        manual_seed(13);
        var x = randn(200, 2);
        var y = 1000 + 50 * x[.., ..1];
        using var model = RegressionProbeTrainer.Fit(x, y, Small);
        using var noGrad = no_grad();
        var mean = model.call(x).mean().item<float>();
        mean.Should().BeApproximately(y.mean().item<float>(), 5f);
    }

    [Fact]
    public void Bad_inputs_are_named()
    {
        using var scope = NewDisposeScope();
        var mismatch = () => RegressionProbeTrainer.Fit(zeros(10, 3), zeros(9, 2), Small);
        mismatch.Should().Throw<ArgumentException>().WithMessage("*(10, k)*[10, 3]*[9, 2]*");

        using var model = new RegressionProbeModel(3, 4, 1);
        var wrongWidth = () => model.call(zeros(2, 5));
        wrongWidth.Should().Throw<ArgumentException>().WithMessage("*(B, 3)*[2, 5]*");

        var garbage = () => RegressionProbeModel.FromBytes([1, 2, 3, 4, 5, 6, 7, 8]);
        garbage.Should().Throw<FormatException>();
    }
}
