using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>Pooled representations of images x and of g(x), with g's parameters, for the pairwise probes.</summary>
/// <param name="PooledX">Representations of x, <c>(N, C)</c>, on CPU.</param>
/// <param name="PooledGx">Representations of g(x), <c>(N, C)</c>, on CPU.</param>
/// <param name="Parameters">g's parameters, <c>(N, k)</c>, on CPU.</param>
public sealed record TransformedPairs(Tensor PooledX, Tensor PooledGx, Tensor Parameters);

/// <summary>
/// The papers' transformation-prediction protocol on a frozen encoder (eval mode): apply a random g of
/// one kind to each image, encode x and g(x), concatenate the chosen part of both representations and
/// fit an MLP that predicts g's parameters; score R² on held-out images.
/// </summary>
public static class TransformationProbes
{
    /// <summary>
    /// Encodes every image of <paramref name="data"/> once and, for each of <paramref name="kinds"/>, a copy transformed by
    /// a random g of that kind, in batches: <c>N · (1 + kinds)</c> forward passes instead of <c>2 · N · kinds</c> for
    /// separate <see cref="Embed"/> calls. The pairs of kind <c>i</c> share <see cref="TransformedPairs.PooledX"/> and draw g
    /// from the generator seeded with <c>seed + i</c> (the ranges of <see cref="AugmentationPipeline.Default"/> at this size).
    /// </summary>
    /// <param name="encoder">The frozen encoder.</param>
    /// <param name="data">Images at the encoder's input size.</param>
    /// <param name="kinds">The transformations, each probed on its own.</param>
    /// <param name="seed">Seed of the parameters of g (kind <c>i</c> uses <c>seed + i</c>).</param>
    /// <param name="batchSize">Images per forward pass.</param>
    /// <returns>One <see cref="TransformedPairs"/> per kind, in the order of <paramref name="kinds"/>, all on CPU.</returns>
    public static IReadOnlyList<TransformedPairs> EmbedKinds(PretrainedEncoder encoder, ImageDataset data, IReadOnlyList<TransformKind> kinds, int seed, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (data.Height != encoder.InputSize || data.Width != encoder.InputSize)
            throw new ArgumentException($"The encoder takes {encoder.InputSize}×{encoder.InputSize} images; the dataset has {data.Height}×{data.Width}.", nameof(data));
        var augments = kinds.Select(k => AugmentationPipeline.Default(encoder.InputSize, k)).ToArray();
        var generators = kinds.Select((_, i) => new Generator((ulong)(seed + i), encoder.Device)).ToArray();
        try
        {
            using var scope = NewDisposeScope();
            var xs = new List<Tensor>();
            var gxs = kinds.Select(_ => new List<Tensor>()).ToArray();
            var ps = kinds.Select(_ => new List<Tensor>()).ToArray();
            for (long start = 0; start < data.Count; start += batchSize)
            {
                using var batchScope = NewDisposeScope();
                var n = Math.Min(batchSize, data.Count - start);
                var images = ImageTensors.ToFloat(data.Images.narrow(0, start, n).to(encoder.Device));
                xs.Add(encoder.Encode(images).Pooled.cpu().MoveToOuterDisposeScope());
                for (var i = 0; i < kinds.Count; i++)
                {
                    using var g = augments[i].Apply(images, generators[i]);
                    gxs[i].Add(encoder.Encode(g.Images).Pooled.cpu().MoveToOuterDisposeScope());
                    ps[i].Add(g.ParametersOf(kinds[i]).cpu().MoveToOuterDisposeScope());
                }
            }
            var x = cat(xs, 0);
            var result = new TransformedPairs[kinds.Count];
            for (var i = 0; i < kinds.Count; i++)
                result[i] = new TransformedPairs(x.clone().MoveToOuterDisposeScope(), cat(gxs[i], 0).MoveToOuterDisposeScope(), cat(ps[i], 0).MoveToOuterDisposeScope());
            return result;
        }
        finally
        {
            foreach (var generator in generators)
                generator.Dispose();
        }
    }

    /// <summary>Encodes every image of <paramref name="data"/> and a randomly transformed copy, in batches.</summary>
    /// <param name="encoder">The frozen encoder.</param>
    /// <param name="data">Images at the encoder's input size.</param>
    /// <param name="kind">The transformation g is drawn from (the ranges of <see cref="AugmentationPipeline.Default"/> at this size).</param>
    /// <param name="seed">Seed of the parameters of g.</param>
    /// <param name="batchSize">Images per forward pass.</param>
    public static TransformedPairs Embed(PretrainedEncoder encoder, ImageDataset data, TransformKind kind, int seed, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        if (data.Height != encoder.InputSize || data.Width != encoder.InputSize)
            throw new ArgumentException($"The encoder takes {encoder.InputSize}×{encoder.InputSize} images; the dataset has {data.Height}×{data.Width}.", nameof(data));
        var augment = AugmentationPipeline.Default(encoder.InputSize, kind);
        using var generator = new Generator((ulong)seed, encoder.Device);
        using var scope = NewDisposeScope();
        var pairs = BatchedEncoding.Map(data.Count, batchSize, (start, n) =>
        {
            var images = ImageTensors.ToFloat(data.Images.narrow(0, start, n).to(encoder.Device));
            using var g = augment.Apply(images, generator);
            return [encoder.Encode(images).Pooled.cpu(), encoder.Encode(g.Images).Pooled.cpu(), g.ParametersOf(kind).cpu()];
        });
        return new TransformedPairs(pairs[0].MoveToOuterDisposeScope(), pairs[1].MoveToOuterDisposeScope(), pairs[2].MoveToOuterDisposeScope());
    }

    /// <summary>Fits the pairwise probe on <paramref name="train"/> pairs and scores it on <paramref name="test"/> pairs.</summary>
    public static ProbeResult Fit(TransformedPairs train, TransformedPairs test, RepresentationSplit split, RepresentationPart part, ProbeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(split);
        using var trainX = PairwiseFeatures.Concat(train.PooledX, train.PooledGx, split, part);
        using var testX = PairwiseFeatures.Concat(test.PooledX, test.PooledGx, split, part);
        return ProbeTrainer.Fit(trainX, train.Parameters, testX, test.Parameters, options);
    }
}
