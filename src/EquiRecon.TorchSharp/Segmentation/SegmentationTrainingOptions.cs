namespace EquiRecon.TorchSharp.Segmentation;

/// <summary>
/// Options of <see cref="SegmentationTrainer"/>: the head's shape and its training (Adam on per-pixel cross-entropy,
/// the encoder frozen).
/// </summary>
public sealed record SegmentationTrainingOptions
{
    /// <summary>Width of the head's hidden convolutions, see <see cref="SegmentationHeadOptions.Hidden"/>. Default 32.</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>Whether the head refines at full resolution with the image, see <see cref="SegmentationHeadOptions.ImageSkip"/>. Default true.</summary>
    public bool ImageSkip { get; init; } = true;

    /// <summary>Upsampling factor of the images before the encoder, see <see cref="SegmentationHeadOptions.EncoderScale"/>. Default 1.</summary>
    public int EncoderScale { get; init; } = 1;

    /// <summary>Passes over the training images. Default 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Adam learning rate. Default 3e-3.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Adam (L2) weight decay. Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Images per optimisation step. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// When true, the cross-entropy weighs each class by the inverse of its pixel frequency in the training masks
    /// (normalized to mean 1), which favours thin minority classes such as membranes and raises mean IoU at some cost in
    /// pixel accuracy. Default false.
    /// </summary>
    public bool BalanceClasses { get; init; }

    /// <summary>Seed of the head's initial weights and of the shuffling. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>
    /// A label value outside <c>[0, classes)</c> whose pixels are left out of the loss and of the class weights (e.g. CamVid's
    /// void, or 255); score with the same value (<see cref="SegmentationScores.Compute"/>'s <c>ignoreClass</c>). Default null:
    /// every pixel is a class.
    /// </summary>
    public int? IgnoreClass { get; init; }

    /// <summary>Images per encoder forward pass when the frozen features are computed. Default 64.</summary>
    public int EncodeBatchSize { get; init; } = 64;

    /// <summary>Throws when a size or rate is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(EncoderScale, 1, nameof(EncoderScale));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(EncoderScale, 8, nameof(EncoderScale));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(EncodeBatchSize, 1, nameof(EncodeBatchSize));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "The weight decay must be non-negative and finite.");
    }
}
