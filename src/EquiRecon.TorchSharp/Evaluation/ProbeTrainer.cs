using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Regression probe for transformation prediction: trains an MLP <c>d → hidden → hidden → k</c> (ReLU, optional
/// BatchNorm) with Adam on MSE from frozen features to targets, then scores R² (both definitions) on a test split.
/// Inputs and targets are standardised with training statistics (by default). Training runs on the features' device;
/// weight initialisation and shuffling use a generator seeded from <see cref="ProbeOptions.Seed"/>.
/// </summary>
public static class ProbeTrainer
{
    /// <summary>Trains on the training split (<see cref="RegressionProbeTrainer.Fit(Tensor, Tensor, ProbeOptions?)"/>) and evaluates on the test split.</summary>
    /// <param name="trainX">Training features, shape <c>(N, d)</c>, floating point.</param>
    /// <param name="trainY">Training targets, shape <c>(N, k)</c>.</param>
    /// <param name="testX">Test features, shape <c>(M, d)</c>, on the same device.</param>
    /// <param name="testY">Test targets, shape <c>(M, k)</c> with <c>M ≥ 2</c>.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>R² on the test split and the test predictions.</returns>
    public static ProbeResult Fit(Tensor trainX, Tensor trainY, Tensor testX, Tensor testY, ProbeOptions? options = null)
    {
        options ??= new ProbeOptions();
        options.Validate();
        ProbeChecks.Features(trainX, nameof(trainX));
        ProbeChecks.Targets(trainX, trainY, nameof(trainX), nameof(trainY));
        ProbeChecks.Features(testX, nameof(testX));
        ProbeChecks.Targets(testX, testY, nameof(testX), nameof(testY));
        ProbeChecks.SameWidth(trainX, testX, nameof(trainX), nameof(testX));
        ProbeChecks.SameWidth(trainY, testY, nameof(trainY), nameof(testY));
        // The same training as a kept probe: one implementation of standardisation, MLP and loop.
        // The module is created outside the dispose scope below, which would otherwise own its parameters.
        using var model = RegressionProbeTrainer.Fit(trainX, trainY, options, out var lastLoss);
        using var scope = NewDisposeScope();
        var device = trainX.device;
        var predictions = TrainLoop.Predict(model, testX.detach().to(ScalarType.Float32, device), options.BatchSize);
        var target = testY.detach().to(ScalarType.Float32, device);
        var perOutput = RSquared.PerOutput(predictions, target);
        return new ProbeResult(
            RSquared.Global(predictions, target),
            perOutput.Average(),
            perOutput,
            predictions.MoveToOuterDisposeScope(),
            lastLoss);
    }

    /// <summary>The probe MLP: fc1 → [bn1] → relu1 → fc2 → [bn2] → relu2 → fc3, initialised from <paramref name="generator"/>.</summary>
    internal static Sequential BuildMlp(long input, int hidden, long output, bool batchNorm, Generator generator)
    {
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (var i = 1; i <= 2; i++)
        {
            layers.Add(($"fc{i}", TrainLoop.SeededLinear(i == 1 ? input : hidden, hidden, generator)));
            if (batchNorm)
                layers.Add(($"bn{i}", nn.BatchNorm1d(hidden)));
            layers.Add(($"relu{i}", nn.ReLU()));
        }
        layers.Add(("fc3", TrainLoop.SeededLinear(hidden, output, generator)));
        return nn.Sequential(layers);
    }
}
