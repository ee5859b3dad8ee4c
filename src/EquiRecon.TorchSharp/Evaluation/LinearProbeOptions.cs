namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>Options of <see cref="LinearClassifierProbe"/>; defaults follow SIE's classification evaluation (Adam, lr 1e-3, no weight decay, batch 256).</summary>
public sealed record LinearProbeOptions
{
    /// <summary>Passes over the training split. Default 100.</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Mini-batch size. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Learning rate. Default 1e-3 (use about 0.1 with <see cref="ProbeOptimizer.Sgd"/>).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Weight decay. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Optimiser. Default <see cref="ProbeOptimizer.Adam"/>.</summary>
    public ProbeOptimizer Optimizer { get; init; } = ProbeOptimizer.Adam;

    /// <summary>SGD momentum (ignored by Adam). Default 0.9.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Seed of the weight initialisation and the shuffling. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>Standardise each feature with the training split's mean and standard deviation. Default true.</summary>
    public bool StandardizeInputs { get; init; } = true;

    /// <summary>Number of classes; null (default) infers <c>max(label) + 1</c> over both splits.</summary>
    public int? NumClasses { get; init; }

    /// <summary>Throws when a size or rate is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(LearningRate, nameof(LearningRate));
        ArgumentOutOfRangeException.ThrowIfNegative(WeightDecay, nameof(WeightDecay));
        ArgumentOutOfRangeException.ThrowIfNegative(Momentum, nameof(Momentum));
        if (NumClasses is { } k)
            ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(NumClasses));
    }
}
