using System.Globalization;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.TensorShapes;

namespace EquiRecon.TorchSharp.Losses;

/// <summary>Argument checks shared by the losses; every message names the expected and the actual shapes.</summary>
internal static class LossChecks
{
    /// <summary>Throws unless <paramref name="z"/> is <c>(B, D)</c> with <c>B ≥ 2</c> (a batch statistic needs two samples).</summary>
    public static void Embedding(Tensor z, string name)
    {
        ArgumentNullException.ThrowIfNull(z, name);
        if (z.ndim != 2)
            throw new ArgumentException($"Expected embeddings of shape (B, D), got shape {Shape(z)}.", name);
        if (z.shape[0] < 2)
            throw new ArgumentException($"Batch statistics need a batch of at least 2 samples, got shape {Shape(z)}.", name);
        if (z.shape[1] < 1)
            throw new ArgumentException($"Expected at least one feature, got shape {Shape(z)}.", name);
    }

    /// <summary>Throws unless both tensors have the same shape.</summary>
    public static void SameShape(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (!a.shape.SequenceEqual(b.shape))
            throw new ArgumentException($"{nameA} and {nameB} must have the same shape: {nameA} has shape {Shape(a)}, {nameB} has shape {Shape(b)}.", nameB);
    }

    /// <summary>Throws unless both tensors have the same first (batch) dimension.</summary>
    public static void SameBatch(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.shape[0] != b.shape[0])
            throw new ArgumentException($"{nameA} and {nameB} must have the same batch size: {nameA} has shape {Shape(a)}, {nameB} has shape {Shape(b)}.", nameB);
    }
}
