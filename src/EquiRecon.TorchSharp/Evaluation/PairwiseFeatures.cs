using EquiRecon.TorchSharp.Encoders;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Inputs of the pairwise transformation-prediction probe: the papers' protocol passes an image x and its
/// transformed g(x) through the frozen encoder and concatenates the chosen part of both representations,
/// from which an MLP predicts g's parameters.
/// </summary>
public static class PairwiseFeatures
{
    /// <summary>Concatenates the features of x and g(x) along the feature dimension.</summary>
    /// <param name="featuresX">Features of the original images, shape <c>(N, d)</c>.</param>
    /// <param name="featuresGx">Features of the transformed images, shape <c>(N, d)</c>.</param>
    /// <returns><c>[f(x), f(g(x))]</c>, shape <c>(N, 2d)</c>.</returns>
    public static Tensor Concat(Tensor featuresX, Tensor featuresGx)
    {
        ArgumentNullException.ThrowIfNull(featuresX);
        ArgumentNullException.ThrowIfNull(featuresGx);
        if (featuresX.ndim != 2)
            throw new ArgumentException($"Expected features of shape (N, d), got shape {TensorShapes.Shape(featuresX)}.", nameof(featuresX));
        if (!featuresX.shape.SequenceEqual(featuresGx.shape))
            throw new ArgumentException($"Features of x and g(x) must have the same shape: featuresX has shape {TensorShapes.Shape(featuresX)}, featuresGx has shape {TensorShapes.Shape(featuresGx)}.", nameof(featuresGx));
        return cat([featuresX, featuresGx], 1);
    }

    /// <summary>The chosen part of pooled representations <c>(N, C)</c>: <c>(N, C_inv)</c>, <c>(N, C_eqv)</c> or all <c>(N, C)</c>.</summary>
    /// <param name="pooled">Pooled representations, shape <c>(N, C)</c>.</param>
    /// <param name="split">How the channels split into invariant and equivariant parts.</param>
    /// <param name="part">Which part to keep.</param>
    /// <returns>A view of the chosen channels.</returns>
    public static Tensor Select(Tensor pooled, RepresentationSplit split, RepresentationPart part)
    {
        ArgumentNullException.ThrowIfNull(pooled);
        ArgumentNullException.ThrowIfNull(split);
        return split.Select(part, pooled);
    }

    /// <summary>Selects the chosen part of both pooled representations and concatenates them.</summary>
    /// <param name="pooledX">Pooled representations of x, shape <c>(N, C)</c>.</param>
    /// <param name="pooledGx">Pooled representations of g(x), shape <c>(N, C)</c>.</param>
    /// <param name="split">How the channels split into invariant and equivariant parts.</param>
    /// <param name="part">Which part to keep.</param>
    /// <returns>Shape <c>(N, 2·C_part)</c>.</returns>
    public static Tensor Concat(Tensor pooledX, Tensor pooledGx, RepresentationSplit split, RepresentationPart part)
    {
        using var scope = NewDisposeScope();
        return Concat(Select(pooledX, split, part), Select(pooledGx, split, part)).MoveToOuterDisposeScope();
    }
}
