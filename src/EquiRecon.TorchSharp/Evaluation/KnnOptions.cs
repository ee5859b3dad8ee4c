namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>Options of <see cref="KnnClassifier"/>.</summary>
public sealed record KnnOptions
{
    /// <summary>Number of neighbours (clamped to the training set size). Default 20.</summary>
    public int K { get; init; } = 20;

    /// <summary>Voting rule. Default <see cref="KnnVoting.Weighted"/>.</summary>
    public KnnVoting Voting { get; init; } = KnnVoting.Weighted;

    /// <summary>Temperature T of the weighted vote. Default 0.07.</summary>
    public double Temperature { get; init; } = 0.07;

    /// <summary>Queries per similarity matrix multiply (bounds memory at <c>BatchSize · N_train</c>). Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Number of classes; null (default) infers <c>max(label) + 1</c> over both splits.</summary>
    public int? NumClasses { get; init; }

    /// <summary>Throws when a size or the temperature is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(K, 1, nameof(K));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Temperature, nameof(Temperature));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        if (NumClasses is { } k)
            ArgumentOutOfRangeException.ThrowIfLessThan(k, 1, nameof(NumClasses));
    }
}
