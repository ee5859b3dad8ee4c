using EquiRecon.TorchSharp.IO;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Encoding a dataset in batches: the one loop behind pooled features (CLI evaluation), transformation-probe pairs,
/// the ML.NET probe's samples and segmentation's feature maps. Each output of a batch is concatenated along dimension
/// 0, in order; the results live in the caller's dispose scope.
/// </summary>
public static class BatchedEncoding
{
    /// <summary>
    /// Calls <paramref name="encode"/> with <c>(start, n)</c> for consecutive slices of at most <paramref name="batchSize"/>
    /// of <paramref name="count"/> rows and concatenates each of its outputs (the same number every call) along dimension 0.
    /// </summary>
    /// <returns>One tensor per output of <paramref name="encode"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 or <paramref name="batchSize"/> below 1.</exception>
    public static Tensor[] Map(long count, int batchSize, Func<long, long, Tensor[]> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        List<Tensor>[]? outputs = null;
        for (long start = 0; start < count; start += batchSize)
        {
            var parts = encode(start, Math.Min(batchSize, count - start));
            outputs ??= parts.Select(_ => new List<Tensor>()).ToArray();
            if (parts.Length != outputs.Length)
                throw new InvalidOperationException($"The batch function returned {parts.Length} outputs, before {outputs.Length}.");
            for (var i = 0; i < parts.Length; i++)
                outputs[i].Add(parts[i]);
        }

        return outputs!.Select(o => cat(o, 0)).ToArray();
    }

    /// <summary>As <see cref="Map(long, int, Func{long, long, Tensor[]})"/> for one output.</summary>
    public static Tensor Map(long count, int batchSize, Func<long, long, Tensor> encode)
    {
        ArgumentNullException.ThrowIfNull(encode);
        return Map(count, batchSize, (start, n) => [encode(start, n)])[0];
    }

    /// <summary>Pooled representations <c>(N, C)</c> of the uint8 images <c>(N, 3, S, S)</c>, <paramref name="batchSize"/> at a time, on the CPU.</summary>
    public static Tensor Pooled(PretrainedEncoder encoder, Tensor images, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        return Map(images.shape[0], batchSize, (start, n) => encoder.Encode(images.narrow(0, start, n)).Pooled.cpu()).MoveToOuterDisposeScope();
    }
}
