using System.Globalization;
using EquiRecon.MLNet.Probes;
using EquiRecon.TorchSharp.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Segmentation;

/// <summary>
/// Per-pixel segmentation metrics: mean intersection over union (mIoU) and pixel accuracy, from the output of an
/// <see cref="EquiReconSegmentationTransformer"/> and the true masks (<see cref="Evaluate"/>), or from class arrays
/// (<see cref="Compute"/>).
/// </summary>
public sealed class SegmentationMetrics
{
    private SegmentationMetrics(SegmentationScores scores, int images)
    {
        MeanIoU = scores.MeanIoU;
        PixelAccuracy = scores.PixelAccuracy;
        PerClassIoU = scores.ClassIoU;
        PerClassF1 = scores.ClassF1;
        Pixels = scores.Pixels;
        Images = images;
    }

    /// <summary>
    /// Mean IoU over the classes that occur in the masks or the predictions (a class with an empty union is left out),
    /// in [0, 1]. A constant prediction of one class scores that class's frequency divided by the number of classes present.
    /// </summary>
    public double MeanIoU { get; }

    /// <summary>Fraction of pixels whose predicted class is the true one, in [0, 1].</summary>
    public double PixelAccuracy { get; }

    /// <summary>IoU of each class <c>0 … K−1</c>; <see cref="double.NaN"/> for a class with an empty union.</summary>
    public IReadOnlyList<double> PerClassIoU { get; }

    /// <summary>F1 score (Dice) of each class <c>0 … K−1</c>; <see cref="double.NaN"/> for a class in neither masks nor predictions.</summary>
    public IReadOnlyList<double> PerClassF1 { get; }

    /// <summary>Number of pixels scored.</summary>
    public long Pixels { get; }

    /// <summary>Number of images scored (rows of <see cref="Evaluate"/>; 1 for <see cref="Compute"/>).</summary>
    public int Images { get; }

    /// <summary>
    /// Scores the predicted class maps of <paramref name="data"/> against its masks. Rows with a missing mask or a missing
    /// prediction (NaN, from a missing image) are skipped.
    /// </summary>
    /// <param name="data">Data with the mask column (an image of known size <c>H × W</c>) and the predicted column (a float
    /// vector of <c>H · W</c> class indices, the output of <see cref="EquiReconSegmentationTransformer"/>).</param>
    /// <param name="maskColumnName">The mask column. Default <c>"Mask"</c>.</param>
    /// <param name="predictedColumnName">The predicted class-map column. Default <c>"SegmentationMap"</c>.</param>
    /// <param name="maskToClass">How mask pixels map to classes; use the one the model was fitted with. Default threshold 128 (2 classes).</param>
    /// <returns>The metrics over all scored pixels.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or has the wrong type (the message names it and the expected type).</exception>
    /// <exception cref="InvalidOperationException">No row could be scored, or a predicted value is not a class index.</exception>
    public static SegmentationMetrics Evaluate(IDataView data,
        string maskColumnName = EquiReconSegmentationOptions.DefaultMaskColumnName,
        string predictedColumnName = EquiReconSegmentationOptions.DefaultOutputColumnName,
        MaskToClass? maskToClass = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(maskColumnName);
        ArgumentException.ThrowIfNullOrWhiteSpace(predictedColumnName);
        maskToClass ??= MaskToClass.Threshold();
        var mask = ImageColumnChecks.Check(null, nameof(data), data.Schema, "mask", maskColumnName);
        var maskType = (Microsoft.ML.Transforms.Image.ImageDataViewType)mask.Type;
        int pixels = maskType.Height * maskType.Width;
        var predicted = data.Schema.GetColumnOrNull(predictedColumnName)
            ?? throw Contracts.ExceptParam(nameof(data), $"Could not find predicted column '{predictedColumnName}' (expected {ExpectedPrediction(pixels)}).");
        if (predicted.Type is not VectorDataViewType { ItemType: NumberDataViewType number } vector || number != NumberDataViewType.Single || vector.Size != pixels)
            throw ImageColumnChecks.Mismatch(null, nameof(data), "predicted", predictedColumnName, ExpectedPrediction(pixels), predicted.Type.ToString() ?? "?");

        int classes = maskToClass.Classes;
        var confusion = new long[classes, classes];
        int images = 0;
        long[] target = new long[pixels];
        using (var cursor = data.GetRowCursor([mask, predicted]))
        {
            var getMask = cursor.GetGetter<MLImage>(mask);
            var getPredicted = cursor.GetGetter<VBuffer<float>>(predicted);
            MLImage? image = null;
            VBuffer<float> values = default;
            while (cursor.MoveNext())
            {
                getMask(ref image!);
                getPredicted(ref values);
                if (image is null)
                    continue;
                var dense = values.DenseValues().ToArray();
                if (dense.Any(float.IsNaN))
                    continue;
                ImageTensorReader.CheckSize(image, maskType.Height, maskType.Width, maskColumnName);
                maskToClass.ToClasses(image, maskColumnName, target);
                for (int i = 0; i < pixels; i++)
                    confusion[target[i], ToClass(dense[i], classes, predictedColumnName)]++;
                images++;
            }
        }

        if (images == 0)
            throw new InvalidOperationException($"No row has both a mask ('{maskColumnName}') and a prediction ('{predictedColumnName}') to score.");
        return new SegmentationMetrics(SegmentationScores.FromConfusionMatrix(confusion), images);
    }

    /// <summary>Scores predicted classes against true classes, pixel by pixel.</summary>
    /// <param name="predicted">Predicted class of every pixel, in <c>[0, classes)</c>.</param>
    /// <param name="target">True class of every pixel, same length.</param>
    /// <param name="classes">Number of classes <c>K</c>, at least 2.</param>
    /// <param name="ignoreClass">A target value outside <c>[0, classes)</c> whose pixels are not scored (e.g. 255); null (default): none.</param>
    /// <returns>The metrics (<see cref="Images"/> is 1).</returns>
    /// <exception cref="ArgumentException">The lengths differ, are zero, a class is out of range, or every pixel is ignored.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ignoreClass"/> lies in <c>[0, classes)</c>.</exception>
    public static SegmentationMetrics Compute(ReadOnlySpan<int> predicted, ReadOnlySpan<int> target, int classes, int? ignoreClass = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(classes, 2);
        SegmentationScores.CheckIgnoreClass(ignoreClass, classes);
        if (predicted.Length != target.Length || target.IsEmpty)
            throw new ArgumentException($"Expected two non-empty arrays of the same length, got {predicted.Length} predicted and {target.Length} target values.", nameof(predicted));
        var confusion = new long[classes, classes];
        for (int i = 0; i < target.Length; i++)
        {
            int t = target[i], p = predicted[i];
            if (t == ignoreClass)
                continue;
            if ((uint)t >= (uint)classes || (uint)p >= (uint)classes)
                throw new ArgumentException($"Classes must be in [0, {classes}); pixel {i} has target {t} and prediction {p}.", nameof(target));
            confusion[t, p]++;
        }

        return new SegmentationMetrics(SegmentationScores.FromConfusionMatrix(confusion), 1);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"mIoU {MeanIoU:F4}, pixel accuracy {PixelAccuracy:F4}, class IoU [{string.Join(", ", PerClassIoU.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))}], {Images} image(s), {Pixels} pixels");

    private static string ExpectedPrediction(int pixels)
        => string.Create(CultureInfo.InvariantCulture, $"Vector<Single, {pixels}> (one class index per mask pixel)");

    private static int ToClass(float value, int classes, string columnName)
    {
        int cls = (int)MathF.Round(value);
        if (cls < 0 || cls >= classes || MathF.Abs(value - cls) > 1e-3f)
            throw new InvalidOperationException($"Column '{columnName}' holds {value.ToString("R", CultureInfo.InvariantCulture)}, not a class index in [0, {classes}).");
        return cls;
    }
}
