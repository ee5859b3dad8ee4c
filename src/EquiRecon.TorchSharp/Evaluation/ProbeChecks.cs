using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>Argument checks shared by the probes; messages name the expected and actual shapes.</summary>
internal static class ProbeChecks
{
    public static void Features(Tensor x, string name)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.ndim != 2 || x.shape[0] < 1 || x.shape[1] < 1)
            throw new ArgumentException($"Expected features of shape (N, d) with N, d ≥ 1, got shape {TensorShapes.Shape(x)}.", name);
        if (!x.is_floating_point())
            throw new ArgumentException($"Expected floating-point features, got dtype {x.dtype}.", name);
    }

    public static void Targets(Tensor x, Tensor y, string nameX, string nameY)
    {
        ArgumentNullException.ThrowIfNull(y, nameY);
        if (y.ndim != 2 || y.shape[0] != x.shape[0] || y.shape[1] < 1)
            throw new ArgumentException($"Expected targets of shape ({x.shape[0]}, k) to match {nameX} of shape {TensorShapes.Shape(x)}, got shape {TensorShapes.Shape(y)}.", nameY);
    }

    public static void Labels(Tensor x, Tensor labels, string nameX, string nameLabels)
    {
        ArgumentNullException.ThrowIfNull(labels, nameLabels);
        if (labels.ndim != 1 || labels.shape[0] != x.shape[0])
            throw new ArgumentException($"Expected labels of shape ({x.shape[0]}) to match {nameX} of shape {TensorShapes.Shape(x)}, got shape {TensorShapes.Shape(labels)}.", nameLabels);
        if (labels.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 class indices, got dtype {labels.dtype}.", nameLabels);
    }

    public static void SameWidth(Tensor a, Tensor b, string nameA, string nameB)
    {
        if (a.shape[1] != b.shape[1])
            throw new ArgumentException($"{nameA} and {nameB} must have the same number of columns: {nameA} has shape {TensorShapes.Shape(a)}, {nameB} has shape {TensorShapes.Shape(b)}.", nameB);
    }

    /// <summary>The number of classes: <paramref name="numClasses"/> when given, else <c>max(label) + 1</c>; throws on negative or too large labels.</summary>
    public static int ClassCount(Tensor trainLabels, Tensor testLabels, int? numClasses)
    {
        using var scope = NewDisposeScope();
        var min = Math.Min(trainLabels.min().item<long>(), testLabels.min().item<long>());
        var max = Math.Max(trainLabels.max().item<long>(), testLabels.max().item<long>());
        if (min < 0)
            throw new ArgumentException($"Labels must be class indices ≥ 0 (unlabelled samples, label -1, cannot be used), found {min}.", nameof(trainLabels));
        if (numClasses is { } given)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(given, 1, nameof(numClasses));
            if (max >= given)
                throw new ArgumentException($"Found label {max}, but only {given} classes were declared.", nameof(numClasses));
            return given;
        }
        return checked((int)max + 1);
    }
}
