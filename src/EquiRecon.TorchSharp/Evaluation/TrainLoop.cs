using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>The mini-batch loop shared by the probes (full passes, reshuffled each epoch from a seeded generator).</summary>
internal static class TrainLoop
{
    /// <summary>A Linear layer with PyTorch's default initialisation distribution (U(±1/√fan_in)) drawn from <paramref name="generator"/>.</summary>
    public static Linear SeededLinear(long input, long output, Generator generator)
    {
        var linear = nn.Linear(input, output);
        var bound = 1.0 / Math.Sqrt(input);
        using (no_grad())
        {
            linear.weight!.uniform_(-bound, bound, generator);
            linear.bias!.uniform_(-bound, bound, generator);
        }
        return linear;
    }

    /// <summary>
    /// Trains <paramref name="model"/> for <paramref name="epochs"/> passes; returns the mean loss of the last pass's
    /// applied steps. Each step is guarded (<see cref="Training.FiniteStepGuard"/>: recomputed once, then skipped, when not finite).
    /// </summary>
    /// <exception cref="Training.TrainingDivergedException">Too many steps in a row were not finite.</exception>
    public static double Run(
        nn.Module<Tensor, Tensor> model,
        optim.Optimizer optimizer,
        Tensor x,
        Tensor y,
        int epochs,
        int batchSize,
        bool dropSingleton,
        Generator generator,
        Func<Tensor, Tensor, Tensor> loss,
        bool cosineSchedule = false)
    {
        model.train();
        var n = x.shape[0];
        var lastLoss = double.NaN;
        var baseRates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
        var stepsPerEpoch = (n + batchSize - 1) / batchSize;
        var totalSteps = Math.Max(1, epochs * stepsPerEpoch);
        var step = 0L;
        using var guard = new Training.FiniteStepGuard(model.parameters(), model);
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            using var epochScope = NewDisposeScope();
            var order = randperm(n, generator: generator).to(x.device);
            var sum = zeros([], dtype: ScalarType.Float32, device: x.device);
            var steps = 0;
            for (long start = 0; start < n; start += batchSize)
            {
                var size = Math.Min(batchSize, n - start);
                if (dropSingleton && size < 2)
                    continue;
                using var stepScope = NewDisposeScope();
                var index = order.narrow(0, start, size);
                if (cosineSchedule)
                    SetCosineRate(optimizer, baseRates, step, totalSteps);
                step++;
                Tensor? value = null;
                var outcome = guard.Step(optimizer, () => value = loss(model.call(x.index_select(0, index)), y.index_select(0, index)), clipNorm: null,
                    () => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"probe training, epoch {epoch + 1} of {epochs}, step {step}"));
                if (outcome == Training.GuardedStepOutcome.Skipped)
                    continue;
                sum.add_(value!.detach());
                steps++;
            }
            if (epoch == epochs - 1 && steps > 0)
                lastLoss = sum.item<float>() / steps;
        }
        model.eval();
        return lastLoss;
    }

    /// <summary>Sets each group's rate to <c>base · ½ (1 + cos(π · step / total))</c>.</summary>
    private static void SetCosineRate(optim.Optimizer optimizer, double[] baseRates, long step, long total)
    {
        var factor = 0.5 * (1 + Math.Cos(Math.PI * step / total));
        var i = 0;
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = baseRates[i++] * factor;
    }

    /// <summary>Evaluation-mode outputs for <paramref name="x"/> in chunks, without gradients.</summary>
    public static Tensor Predict(nn.Module<Tensor, Tensor> model, Tensor x, int batchSize)
    {
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var chunks = new List<Tensor>();
        for (long start = 0; start < x.shape[0]; start += batchSize)
            chunks.Add(model.call(x.narrow(0, start, Math.Min(batchSize, x.shape[0] - start))));
        return cat(chunks, 0).MoveToOuterDisposeScope();
    }
}
