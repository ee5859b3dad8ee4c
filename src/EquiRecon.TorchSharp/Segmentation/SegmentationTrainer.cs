using System.Globalization;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Segmentation;

/// <summary>
/// Trains a <see cref="SegmentationHead"/> on a FROZEN <see cref="PretrainedEncoder"/> and predicts with it. The
/// encoder runs at the images' own size, or upsampled by <see cref="SegmentationHeadOptions.EncoderScale"/> (it is fully
/// convolutional, so <see cref="PretrainedEncoder.InputSize"/> does not limit the image size), once per image:
/// the feature maps are computed before training and reused every epoch. Training is Adam on per-pixel
/// cross-entropy; the head's initial weights and the shuffling come from a generator seeded with
/// <see cref="SegmentationTrainingOptions.Seed"/>, so equal inputs give equal heads.
/// </summary>
public static class SegmentationTrainer
{
    /// <summary>Trains a head from images and their per-pixel classes.</summary>
    /// <param name="encoder">The frozen encoder (not modified).</param>
    /// <param name="images">Images <c>(N, 3, H, W)</c>, uint8 in [0, 255] or float in [0, 1]; any size the encoder accepts (e.g. 64 px tiles).</param>
    /// <param name="labels">Classes <c>(N, H, W)</c>, int64 in <c>[0, classes)</c>.</param>
    /// <param name="classes">Number of classes <c>K</c>, at least 2.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    /// <returns>The trained head in eval mode on the encoder's device (the caller disposes it).</returns>
    /// <exception cref="ArgumentException">Shapes, dtype or class values are wrong; the message names the expected and actual ones.</exception>
    public static SegmentationHead Fit(PretrainedEncoder encoder, Tensor images, Tensor labels, int classes,
        SegmentationTrainingOptions? options = null, CancellationToken cancellationToken = default)
        => Fit(encoder, images, labels, classes, options, injectNonFinite: null, cancellationToken);

    /// <summary><see cref="Fit(PretrainedEncoder, Tensor, Tensor, int, SegmentationTrainingOptions?, CancellationToken)"/> with a fault injector for the finite-step guard (tests).</summary>
    internal static SegmentationHead Fit(PretrainedEncoder encoder, Tensor images, Tensor labels, int classes,
        SegmentationTrainingOptions? options, Func<long, int, bool>? injectNonFinite, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        options ??= new SegmentationTrainingOptions();
        options.Validate();
        SegmentationScores.CheckIgnoreClass(options.IgnoreClass, classes);
        CheckPair(images, labels, classes, options.IgnoreClass);

        using var generator = new Generator(unchecked((ulong)options.Seed));
        // Created outside any dispose scope: the scope would dispose the module's parameters.
        var head = new SegmentationHead(new SegmentationHeadOptions(encoder.Encoder.Channels, classes, options.Hidden, options.ImageSkip, options.EncoderScale), generator);
        try
        {
            head.to(encoder.Device);
            using var scope = NewDisposeScope();
            var (features, normalized) = Features(encoder, images, options.EncoderScale, options.EncodeBatchSize);
            var target = labels.to(ScalarType.Int64, encoder.Device);
            var weight = options.BalanceClasses ? ClassWeights(target, classes, options.IgnoreClass) : null;
            var ignoreIndex = options.IgnoreClass ?? -100; // libtorch's default: no label is -100
            using var optimizer = optim.Adam(head.parameters(), options.LearningRate, weight_decay: options.WeightDecay);
            head.train();
            using var guard = new Training.FiniteStepGuard(head.parameters(), head) { InjectNonFinite = injectNonFinite };
            var n = images.shape[0];
            for (var epoch = 0; epoch < options.Epochs; epoch++)
            {
                using var epochScope = NewDisposeScope();
                var order = randperm(n, generator: generator).to(encoder.Device);
                for (long start = 0; start < n; start += options.BatchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var stepScope = NewDisposeScope();
                    var index = order.narrow(0, start, Math.Min(options.BatchSize, n - start));
                    guard.Step(optimizer, () => nn.functional.cross_entropy(
                            head.call(features.index_select(0, index), normalized.index_select(0, index)), target.index_select(0, index), weight, ignore_index: ignoreIndex),
                        clipNorm: null, () => string.Create(CultureInfo.InvariantCulture, $"segmentation head, epoch {epoch + 1} of {options.Epochs}"));
                }
            }
        }
        catch
        {
            head.Dispose();
            throw;
        }
        head.eval();
        return head;
    }

    /// <summary>Per-pixel logits <c>(N, K, H, W)</c> of images <c>(N, 3, H, W)</c> (uint8 or float in [0, 1]), in batches, without gradients.</summary>
    /// <exception cref="ArgumentException">The images are not <c>(N, 3, H, W)</c>.</exception>
    public static Tensor PredictLogits(PretrainedEncoder encoder, SegmentationHead head, Tensor images, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (head.Options.Channels != encoder.Encoder.Channels)
            throw new ArgumentException($"The head takes {head.Options.Channels.ToString(CultureInfo.InvariantCulture)} channels; the encoder gives {encoder.Encoder.Channels.ToString(CultureInfo.InvariantCulture)}.", nameof(head));
        head.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        return BatchedEncoding.Map(images.shape[0], batchSize, (start, n) =>
        {
            var normalized = DenseFeatures.Normalize(encoder, images.narrow(0, start, n));
            return head.call(DenseFeatures.Encode(encoder, normalized, head.Options.EncoderScale), normalized);
        }).MoveToOuterDisposeScope();
    }

    /// <summary>The class of every pixel, <c>(N, H, W)</c> int64: the argmax of <see cref="PredictLogits"/>.</summary>
    public static Tensor Predict(PretrainedEncoder encoder, SegmentationHead head, Tensor images, int batchSize = 64)
    {
        using var scope = NewDisposeScope();
        return PredictLogits(encoder, head, images, batchSize).argmax(1).MoveToOuterDisposeScope();
    }

    /// <summary>Frozen feature maps <c>(N, C, h, w)</c> and normalized images <c>(N, 3, H, W)</c>, in batches.</summary>
    private static (Tensor Features, Tensor Normalized) Features(PretrainedEncoder encoder, Tensor images, int scale, int batchSize)
    {
        var outputs = BatchedEncoding.Map(images.shape[0], batchSize, (start, n) =>
        {
            var x = DenseFeatures.Normalize(encoder, images.narrow(0, start, n));
            return [DenseFeatures.Encode(encoder, x, scale), x];
        });
        return (outputs[0], outputs[1]);
    }

    /// <summary>Inverse pixel frequency of each class <c>(K)</c>, normalized to mean 1 over the classes present (absent classes weigh 0).</summary>
    private static Tensor ClassWeights(Tensor target, int classes, int? ignoreClass)
    {
        var labels = target.flatten();
        if (SegmentationScores.KeptPixels(labels, ignoreClass, nameof(target)) is { } kept)
            labels = labels.masked_select(kept);
        var counts = labels.bincount(null, classes).to(ScalarType.Float32);
        var present = counts > 0;
        var inverse = where(present, counts.sum() / counts.clamp_min(1), zeros_like(counts));
        return inverse * (present.sum().to(ScalarType.Float32) / inverse.sum());
    }

    private static void CheckPair(Tensor images, Tensor labels, int classes, int? ignoreClass)
    {
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[0] < 1)
            throw new ArgumentException($"Expected images of shape (N, 3, H, W) with N ≥ 1, got {TensorShapes.Shape(images)}.", nameof(images));
        if (labels.dim() != 3 || labels.shape[0] != images.shape[0] || labels.shape[1] != images.shape[2] || labels.shape[2] != images.shape[3])
            throw new ArgumentException($"Expected labels of shape ({images.shape[0].ToString(CultureInfo.InvariantCulture)}, {images.shape[2].ToString(CultureInfo.InvariantCulture)}, {images.shape[3].ToString(CultureInfo.InvariantCulture)}) to match images of shape {TensorShapes.Shape(images)}, got {TensorShapes.Shape(labels)}.", nameof(labels));
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 class indices, got dtype {labels.dtype}.", nameof(labels));
        using var scope = NewDisposeScope();
        var flat = labels.flatten();
        var scored = SegmentationScores.KeptPixels(flat, ignoreClass, nameof(labels)) is { } kept ? flat.masked_select(kept) : flat;
        SegmentationScores.CheckClassRange(scored, classes, ignoreClass, nameof(labels));
    }
}
