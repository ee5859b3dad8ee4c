using System.Collections.ObjectModel;
using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>
/// One augmented view of a batch: the images and, per transformation kind, the parameters that produced
/// them. Owns its tensors: disposing the batch disposes <see cref="Images"/> and every parameter tensor.
/// </summary>
public sealed class AugmentedBatch : IDisposable
{
    private readonly Dictionary<TransformKind, Tensor> _parameters;
    private bool _disposed;

    /// <summary>
    /// Wraps images <c>(B, 3, H, W)</c> and parameters (each <c>(B, k)</c>) in the order of <paramref name="kinds"/>;
    /// the batch takes ownership of the tensors.
    /// </summary>
    /// <param name="images">Images <c>(B, 3, H, W)</c>.</param>
    /// <param name="kinds">The kinds in the order they were applied; each appears once.</param>
    /// <param name="parameters">One tensor <c>(B, k)</c> per kind of <paramref name="kinds"/>, in the same order.</param>
    public AugmentedBatch(Tensor images, IReadOnlyList<TransformKind> kinds, IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(kinds);
        ArgumentNullException.ThrowIfNull(parameters);
        if (images.ndim != 4)
            throw new ArgumentException($"Expected images of shape (B, 3, H, W), got {AugmentationTensors.Shape(images)}.", nameof(images));
        if (kinds.Count != parameters.Count)
            throw new ArgumentException($"Expected one parameter tensor per kind ({kinds.Count.ToString(CultureInfo.InvariantCulture)}), got {parameters.Count.ToString(CultureInfo.InvariantCulture)}.", nameof(parameters));
        _parameters = new Dictionary<TransformKind, Tensor>(kinds.Count);
        for (var i = 0; i < kinds.Count; i++)
        {
            var p = parameters[i];
            ArgumentNullException.ThrowIfNull(p, nameof(parameters));
            if (p.ndim != 2 || p.shape[0] != images.shape[0])
                throw new ArgumentException(
                    $"Expected {kinds[i]} parameters of shape ({images.shape[0].ToString(CultureInfo.InvariantCulture)}, k), got {AugmentationTensors.Shape(p)}.", nameof(parameters));
            if (!_parameters.TryAdd(kinds[i], p))
                throw new ArgumentException($"Transform kind {kinds[i]} appears more than once.", nameof(kinds));
        }
        Images = images;
        Kinds = kinds.ToArray();
        Parameters = new ReadOnlyDictionary<TransformKind, Tensor>(_parameters);
    }

    /// <summary>The augmented images <c>(B, 3, H, W)</c>, owned by this batch.</summary>
    public Tensor Images { get; }

    /// <summary>The kinds applied, in order.</summary>
    public IReadOnlyList<TransformKind> Kinds { get; }

    /// <summary>Parameters per kind, each <c>(B, k)</c> float32, owned by this batch.</summary>
    public IReadOnlyDictionary<TransformKind, Tensor> Parameters { get; }

    /// <summary>Batch size B.</summary>
    public long BatchSize => Images.shape[0];

    /// <summary>The parameters <c>(B, k)</c> of <paramref name="kind"/> (owned by this batch: do not dispose).</summary>
    /// <exception cref="ArgumentException">The kind was not applied to this batch.</exception>
    public Tensor ParametersOf(TransformKind kind)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_parameters.TryGetValue(kind, out var p))
            throw new ArgumentException($"No {kind} parameters: this batch holds {string.Join(", ", Kinds)}.", nameof(kind));
        return p;
    }

    /// <summary>The parameters of <paramref name="kinds"/> concatenated in the given order, a new tensor <c>(B, Σk)</c>.</summary>
    /// <exception cref="ArgumentException">A kind was not applied to this batch, or no kind was given.</exception>
    public Tensor Concatenated(IEnumerable<TransformKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        var parts = kinds.Select(ParametersOf).ToArray();
        if (parts.Length == 0)
            throw new ArgumentException("Give at least one transform kind.", nameof(kinds));
        return torch.cat(parts, 1);
    }

    /// <summary>
    /// Number of columns of <see cref="RelativeParameters(AugmentedBatch, AugmentedBatch, TransformKind)"/> for
    /// <paramref name="kind"/>: rotation 1, colour 4, blur 1, translation 2, crop 8, flip 1.
    /// </summary>
    public static int RelativeParameterCount(TransformKind kind) => kind switch
    {
        TransformKind.Rotation => 1,
        TransformKind.Color => 4,
        TransformKind.Blur => 1,
        TransformKind.Translation => 2,
        TransformKind.Crop => 8,
        TransformKind.Flip => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown transform kind."),
    };

    /// <summary>
    /// The parameters of view <paramref name="b"/> relative to view <paramref name="a"/> (two views of the same
    /// images), a new tensor <c>(B, k')</c>; SIE conditions its predictor on these. Rotation, colour, blur and
    /// translation: the difference b − a (angle in degrees; brightness, contrast, saturation, hue offsets; σ;
    /// dx, dy in pixels). Crop: both boxes, a then b, <c>(B, 8)</c> = (x0, y0, w, h of a, x0, y0, w, h of b),
    /// since boxes do not compose by difference. Flip: a XOR b (1 where exactly one view is flipped).
    /// Column counts: <see cref="RelativeParameterCount"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A view lacks <paramref name="kind"/>, or the batch sizes differ.</exception>
    public static Tensor RelativeParameters(AugmentedBatch a, AugmentedBatch b, TransformKind kind)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var pa = a.ParametersOf(kind);
        var pb = b.ParametersOf(kind);
        if (!pa.shape.SequenceEqual(pb.shape))
            throw new ArgumentException(
                $"Views disagree on the {kind} parameter shape: {AugmentationTensors.Shape(pa)} and {AugmentationTensors.Shape(pb)}.", nameof(b));
        using var scope = torch.NewDisposeScope();
        var result = kind switch
        {
            TransformKind.Crop => torch.cat([pa, pb], 1),
            TransformKind.Flip => ((pa > 0.5) != (pb > 0.5)).to(pa.dtype),
            _ => pb - pa,
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// <see cref="RelativeParameters(AugmentedBatch, AugmentedBatch, TransformKind)"/> of several kinds concatenated
    /// in the given order, a new tensor <c>(B, Σk')</c>.
    /// </summary>
    public static Tensor RelativeParameters(AugmentedBatch a, AugmentedBatch b, IEnumerable<TransformKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        using var scope = torch.NewDisposeScope();
        var parts = kinds.Select(k => RelativeParameters(a, b, k)).ToArray();
        if (parts.Length == 0)
            throw new ArgumentException("Give at least one transform kind.", nameof(kinds));
        var result = torch.cat(parts, 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Moves the images and every parameter tensor to the enclosing dispose scope; returns this batch.</summary>
    public AugmentedBatch MoveToOuterDisposeScope()
    {
        Images.MoveToOuterDisposeScope();
        foreach (var p in _parameters.Values)
            p.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Disposes the images and every parameter tensor.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Images.Dispose();
        foreach (var p in _parameters.Values)
            p.Dispose();
    }
}
