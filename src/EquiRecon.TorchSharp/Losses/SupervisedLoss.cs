using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>The supervised baseline's loss.</summary>
public static class SupervisedLoss
{
    /// <summary>Cross-entropy between class logits and integer labels, averaged over the batch.</summary>
    /// <param name="logits">Unnormalised class scores, shape <c>(B, K)</c>.</param>
    /// <param name="labels">Class indices in <c>[0, K)</c>, shape <c>(B)</c>, dtype int64.</param>
    /// <param name="labelSmoothing">Label smoothing in <c>[0, 1)</c>; 0 (default) for plain cross-entropy.</param>
    /// <returns>Scalar tensor on the input device.</returns>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, double labelSmoothing = 0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(labels);
        if (logits.ndim != 2)
            throw new ArgumentException($"Expected logits of shape (B, K), got shape {TensorShapes.Shape(logits)}.", nameof(logits));
        if (labels.ndim != 1 || labels.shape[0] != logits.shape[0])
            throw new ArgumentException($"Expected labels of shape ({logits.shape[0]}) to match logits of shape {TensorShapes.Shape(logits)}, got shape {TensorShapes.Shape(labels)}.", nameof(labels));
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 class indices, got dtype {labels.dtype}.", nameof(labels));
        if (labelSmoothing < 0 || labelSmoothing >= 1)
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Label smoothing must lie in [0, 1).");
        return nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);
    }
}
