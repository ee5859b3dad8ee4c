using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>Everything an objective may look at for one step: both views, their encodings and parameters.</summary>
public sealed class PairBatch
{
    /// <summary>Creates the batch.</summary>
    public PairBatch(Tensor viewA, Tensor viewB, EncoderOutput encodedA, EncoderOutput encodedB,
        AugmentedBatch augmentedA, AugmentedBatch augmentedB, RepresentationSplit split, Tensor? labels)
    {
        ViewA = viewA; ViewB = viewB; EncodedA = encodedA; EncodedB = encodedB;
        AugmentedA = augmentedA; AugmentedB = augmentedB; Split = split; Labels = labels;
    }

    /// <summary>View A as the encoder saw it (normalized), <c>(B, 3, H, W)</c>.</summary>
    public Tensor ViewA { get; }
    /// <summary>View B as the encoder saw it (normalized), <c>(B, 3, H, W)</c>.</summary>
    public Tensor ViewB { get; }
    /// <summary>Encoder output for view A: tokens <c>(B, N, C)</c>, pooled <c>(B, C)</c>.</summary>
    public EncoderOutput EncodedA { get; }
    /// <summary>Encoder output for view B.</summary>
    public EncoderOutput EncodedB { get; }
    /// <summary>View A's augmentation with its per-sample parameters.</summary>
    public AugmentedBatch AugmentedA { get; }
    /// <summary>View B's augmentation with its per-sample parameters.</summary>
    public AugmentedBatch AugmentedB { get; }
    /// <summary>The invariant / equivariant channel split of the encoder.</summary>
    public RepresentationSplit Split { get; }
    /// <summary>Class labels <c>(B)</c> int64, when the method needs them.</summary>
    public Tensor? Labels { get; }
}
