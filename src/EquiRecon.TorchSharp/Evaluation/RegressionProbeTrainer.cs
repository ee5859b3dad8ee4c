using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Fits a <see cref="RegressionProbeModel"/> and returns it, for callers that keep the probe (for example an ML.NET
/// transformer) rather than only its score: the same training as <see cref="ProbeTrainer.Fit"/> (MLP
/// <c>d → hidden → hidden → k</c>, Adam on MSE, inputs and targets standardised with the training statistics,
/// weight initialisation and shuffling from a generator seeded with <see cref="ProbeOptions.Seed"/>).
/// </summary>
public static class RegressionProbeTrainer
{
    /// <summary>Trains a probe from features to targets; returns it in eval mode on the features' device.</summary>
    /// <param name="trainX">Training features, shape <c>(N, d)</c>, floating point.</param>
    /// <param name="trainY">Training targets, shape <c>(N, k)</c>.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>The fitted probe (the caller disposes it); it predicts in the targets' units.</returns>
    /// <exception cref="ArgumentException">The shapes are wrong or do not match (the message names both).</exception>
    public static RegressionProbeModel Fit(Tensor trainX, Tensor trainY, ProbeOptions? options = null) =>
        Fit(trainX, trainY, options, out _);

    /// <summary>As <see cref="Fit(Tensor, Tensor, ProbeOptions?)"/>; also returns the mean training MSE of the last epoch.</summary>
    internal static RegressionProbeModel Fit(Tensor trainX, Tensor trainY, ProbeOptions? options, out double finalTrainLoss)
    {
        options ??= new ProbeOptions();
        options.Validate();
        ProbeChecks.Features(trainX, nameof(trainX));
        ProbeChecks.Targets(trainX, trainY, nameof(trainX), nameof(trainY));
        if (options.BatchNorm && trainX.shape[0] < 2)
            throw new ArgumentException($"BatchNorm needs at least 2 training samples, got shape {TensorShapes.Shape(trainX)}.", nameof(trainX));

        var device = trainX.device;
        using var generator = new Generator(unchecked((ulong)options.Seed));
        // Created outside any dispose scope: the scope would dispose the module's parameters and buffers.
        var model = new RegressionProbeModel(checked((int)trainX.shape[1]), options.Hidden, checked((int)trainY.shape[1]), options.BatchNorm, generator);
        try
        {
            model.to(device);
            using var scope = NewDisposeScope();
            var x = trainX.detach().to(ScalarType.Float32);
            var y = trainY.detach().to(ScalarType.Float32, device);
            using var xNorm = new Standardizer(x, options.StandardizeInputs);
            using var yNorm = new Standardizer(y, options.StandardizeTargets);
            model.SetStatistics(xNorm.Mean, xNorm.Std, yNorm.Mean, yNorm.Std);
            using var optimizer = optim.Adam(model.Mlp.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
            finalTrainLoss = TrainLoop.Run(model.Mlp, optimizer, xNorm.Forward(x), yNorm.Forward(y), options.Epochs, options.BatchSize,
                dropSingleton: options.BatchNorm, generator, (output, target) => nn.functional.mse_loss(output, target),
                options.CosineSchedule);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }
}
