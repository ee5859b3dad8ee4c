using System.Globalization;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Segmentation;

/// <summary>Per-pixel segmentation scores (see <see cref="SegmentationScores.Compute"/>).</summary>
/// <param name="MeanIoU">
/// Mean intersection over union over the classes that occur in the target or the prediction (classes with an empty
/// union are left out, the usual convention), in [0, 1].
/// </param>
/// <param name="PixelAccuracy">Fraction of pixels whose predicted class equals the target class, in [0, 1].</param>
/// <param name="ClassIoU">IoU of each class <c>0 … K−1</c>; <see cref="double.NaN"/> for a class with an empty union.</param>
/// <param name="Pixels">Number of pixels scored.</param>
public sealed record SegmentationScores(double MeanIoU, double PixelAccuracy, IReadOnlyList<double> ClassIoU, long Pixels)
{
    /// <summary>F1 score (Dice) of each class <c>0 … K−1</c>: <c>2·TP / (2·TP + FP + FN)</c>; <see cref="double.NaN"/> for a class in neither target nor prediction.</summary>
    public IReadOnlyList<double> ClassF1 { get; init; } = [];

    /// <summary>Scores predicted classes against target classes, both int64 of the same shape (e.g. <c>(N, H, W)</c>).</summary>
    /// <param name="predicted">Predicted classes in <c>[0, classes)</c>.</param>
    /// <param name="target">Target classes in <c>[0, classes)</c>, or <paramref name="ignoreClass"/>; same shape as <paramref name="predicted"/>.</param>
    /// <param name="classes">Number of classes <c>K</c>, at least 2.</param>
    /// <param name="ignoreClass">
    /// A target value outside <c>[0, classes)</c> whose pixels are not scored (e.g. CamVid's void, or 255), whatever is
    /// predicted there; null (default): every pixel is scored.
    /// </param>
    /// <exception cref="ArgumentException">Shapes differ, a tensor is empty or not integral, a class is out of range,
    /// <paramref name="ignoreClass"/> is a scored class, or every pixel is ignored.</exception>
    public static SegmentationScores Compute(Tensor predicted, Tensor target, int classes, int? ignoreClass = null)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        if (!predicted.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"Predictions and targets must have the same shape: predicted has shape {TensorShapes.Shape(predicted)}, target has shape {TensorShapes.Shape(target)}.", nameof(predicted));
        if (target.numel() == 0)
            throw new ArgumentException("No pixels to score.", nameof(target));
        if (predicted.is_floating_point() || target.is_floating_point())
            throw new ArgumentException($"Expected integer classes, got dtypes {predicted.dtype} and {target.dtype}.", nameof(predicted));
        CheckIgnoreClass(ignoreClass, classes);
        using var scope = NewDisposeScope();
        var p = predicted.flatten().to(ScalarType.Int64);
        var t = target.flatten().to(ScalarType.Int64, p.device);
        if (KeptPixels(t, ignoreClass, nameof(target)) is { } kept)
        {
            p = p.masked_select(kept);
            t = t.masked_select(kept);
        }
        CheckClassRange(p, classes, null, nameof(predicted));
        CheckClassRange(t, classes, ignoreClass, nameof(target));
        // Confusion matrix (target row, predicted column).
        var confusion = (t * classes + p).bincount(null, (long)classes * classes).cpu().data<long>().ToArray();
        var matrix = new long[classes, classes];
        for (var k = 0; k < confusion.Length; k++)
            matrix[k / classes, k % classes] = confusion[k];
        return FromConfusionMatrix(matrix);
    }

    /// <summary>Scores from a confusion matrix <c>[K, K]</c> of pixel counts, target class by row, predicted class by column.</summary>
    /// <param name="confusion">Counts, square, at least 2×2, non-negative, not all zero.</param>
    /// <exception cref="ArgumentException">The matrix is not square, too small, has a negative count or no pixels.</exception>
    public static SegmentationScores FromConfusionMatrix(long[,] confusion)
    {
        ArgumentNullException.ThrowIfNull(confusion);
        var classes = confusion.GetLength(0);
        if (classes < 2 || confusion.GetLength(1) != classes)
            throw new ArgumentException($"Expected a square confusion matrix of at least 2×2, got {confusion.GetLength(0).ToString(CultureInfo.InvariantCulture)}×{confusion.GetLength(1).ToString(CultureInfo.InvariantCulture)}.", nameof(confusion));
        var rows = new double[classes];
        var columns = new double[classes];
        var diagonal = new double[classes];
        for (var i = 0; i < classes; i++)
        {
            for (var j = 0; j < classes; j++)
            {
                var count = confusion[i, j];
                if (count < 0)
                    throw new ArgumentException("Confusion counts must be non-negative.", nameof(confusion));
                rows[i] += count;
                columns[j] += count;
            }
            diagonal[i] = confusion[i, i];
        }
        var total = rows.Sum();
        if (total == 0)
            throw new ArgumentException("No pixels to score.", nameof(confusion));
        var iou = new double[classes];
        for (var k = 0; k < classes; k++)
        {
            var union = rows[k] + columns[k] - diagonal[k];
            iou[k] = union > 0 ? diagonal[k] / union : double.NaN;
        }
        var f1 = new double[classes];
        for (var k = 0; k < classes; k++)
            f1[k] = rows[k] + columns[k] > 0 ? 2 * diagonal[k] / (rows[k] + columns[k]) : double.NaN;
        var present = iou.Where(v => !double.IsNaN(v)).ToArray();
        return new SegmentationScores(present.Average(), diagonal.Sum() / total, Array.AsReadOnly(iou), (long)total) { ClassF1 = Array.AsReadOnly(f1) };
    }

    /// <summary>
    /// The pixels of the flat <paramref name="labels"/> that are not <paramref name="ignoreClass"/> (null when nothing is
    /// ignored); shared by scoring and training.
    /// </summary>
    /// <exception cref="ArgumentException">Every pixel is the ignore class.</exception>
    internal static Tensor? KeptPixels(Tensor labels, int? ignoreClass, string paramName)
    {
        if (ignoreClass is not int ignore)
            return null;
        var kept = labels.ne(ignore);
        if (!kept.any().item<bool>())
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Every pixel of {paramName} is the ignore class {ignore}: nothing to score or train on."), paramName);
        return kept;
    }

    /// <summary>Throws unless every value of <paramref name="values"/> (the ignored pixels removed) is a class in <c>[0, classes)</c>; shared by scoring and training.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message gives the range found (and the ignore class).</exception>
    internal static void CheckClassRange(Tensor values, int classes, int? ignoreClass, string paramName)
    {
        var min = values.min().item<long>();
        var max = values.max().item<long>();
        if (min < 0 || max >= classes)
        {
            var besides = ignoreClass is int ignore ? string.Create(CultureInfo.InvariantCulture, $" (besides the ignore class {ignore})") : "";
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Classes must be in [0, {classes}){besides}, found values from {min} to {max}."), paramName);
        }
    }

    /// <summary>
    /// The one rule for an ignore class, shared by scoring and training: it must lie outside the scored classes
    /// <c>[0, classes)</c> (a class that is scored cannot also be ignored).
    /// </summary>
    /// <param name="ignoreClass">The ignore class, or null (always accepted).</param>
    /// <param name="classes">Number of scored classes <c>K</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ignoreClass"/> lies in <c>[0, classes)</c>.</exception>
    public static void CheckIgnoreClass(int? ignoreClass, int classes)
    {
        if (ignoreClass is int ignore && ignore >= 0 && ignore < classes)
        {
            throw new ArgumentOutOfRangeException(nameof(ignoreClass), ignore, string.Create(CultureInfo.InvariantCulture,
                $"The ignore class must lie outside the scored classes [0, {classes}) (e.g. {classes} or 255); got {ignore}."));
        }
    }
}
