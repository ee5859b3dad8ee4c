namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Options of the regression probe (<see cref="ProbeTrainer"/>): an MLP <c>in → Hidden → Hidden → k</c> with ReLU,
/// trained with Adam on MSE. The defaults follow SIE's evaluation scripts (hidden 1024, Adam lr 1e-3, no weight decay,
/// batch 256), with fewer epochs (SIE: 300).
/// </summary>
public sealed record ProbeOptions
{
    /// <summary>Width of the two hidden layers. Default 1024.</summary>
    public int Hidden { get; init; } = 1024;

    /// <summary>When true, a BatchNorm1d follows each hidden Linear (before the ReLU). Default false (as SIE).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Passes over the training split. Default 100.</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Mini-batch size. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Adam learning rate. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// Decay the learning rate along a cosine from <see cref="LearningRate"/> to 0 over all steps (per mini-batch),
    /// as the papers' probes do. Default false (constant rate).
    /// </summary>
    public bool CosineSchedule { get; init; }

    /// <summary>Adam (L2) weight decay. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Seed of the weight initialisation and the shuffling. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Standardise each input column with the training split's mean and standard deviation. Default true.</summary>
    public bool StandardizeInputs { get; init; } = true;

    /// <summary>Standardise each target column with the training split's statistics (predictions are mapped back). Default true.</summary>
    public bool StandardizeTargets { get; init; } = true;

    /// <summary>Throws when a size or rate is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegative(WeightDecay, nameof(WeightDecay));
    }
}
