using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Linear classification probe: one Linear layer on frozen (standardised) features trained with cross-entropy,
/// scored by top-1 accuracy on the test split. Runs on the features' device; seeded initialisation and shuffling.
/// </summary>
public static class LinearClassifierProbe
{
    /// <summary>Trains on the training split and evaluates on the test split.</summary>
    /// <param name="trainX">Training features, shape <c>(N, d)</c>, floating point.</param>
    /// <param name="trainLabels">Training labels, shape <c>(N)</c>, int64 in <c>[0, K)</c>.</param>
    /// <param name="testX">Test features, shape <c>(M, d)</c>.</param>
    /// <param name="testLabels">Test labels, shape <c>(M)</c>, int64.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>Top-1 accuracy and the predicted test labels.</returns>
    public static ClassificationResult Fit(Tensor trainX, Tensor trainLabels, Tensor testX, Tensor testLabels, LinearProbeOptions? options = null)
    {
        options ??= new LinearProbeOptions();
        options.Validate();
        ProbeChecks.Features(trainX, nameof(trainX));
        ProbeChecks.Labels(trainX, trainLabels, nameof(trainX), nameof(trainLabels));
        ProbeChecks.Features(testX, nameof(testX));
        ProbeChecks.Labels(testX, testLabels, nameof(testX), nameof(testLabels));
        ProbeChecks.SameWidth(trainX, testX, nameof(trainX), nameof(testX));
        var classes = ProbeChecks.ClassCount(trainLabels, testLabels, options.NumClasses);

        using var scope = NewDisposeScope();
        var device = trainX.device;
        var x = trainX.detach().to(ScalarType.Float32);
        using var norm = new Standardizer(x, options.StandardizeInputs);
        using var generator = new Generator(unchecked((ulong)options.Seed));
        using var linear = TrainLoop.SeededLinear(x.shape[1], classes, generator);
        linear.to(device);
        using optim.Optimizer optimizer = options.Optimizer == ProbeOptimizer.Sgd
            ? optim.SGD(linear.parameters(), options.LearningRate, momentum: options.Momentum, weight_decay: options.WeightDecay)
            : optim.Adam(linear.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
        TrainLoop.Run(linear, optimizer, norm.Forward(x), trainLabels.to(device), options.Epochs, options.BatchSize, dropSingleton: false, generator,
            (logits, labels) => nn.functional.cross_entropy(logits, labels));

        var logits = TrainLoop.Predict(linear, norm.Forward(testX.detach().to(ScalarType.Float32, device)), options.BatchSize);
        var predictions = logits.argmax(1);
        var top1 = Accuracy(predictions, testLabels.to(device));
        return new ClassificationResult(top1, predictions.MoveToOuterDisposeScope());
    }

    /// <summary>Fraction of equal entries of two label vectors.</summary>
    internal static double Accuracy(Tensor predictions, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return predictions.eq(labels).to(ScalarType.Float64).mean().item<double>();
    }
}
