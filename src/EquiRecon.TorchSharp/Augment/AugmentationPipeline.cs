using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>
/// An ordered composition of augmentations, each of a different <see cref="TransformKind"/>. Applying it samples
/// every step's parameters and applies the steps in order, returning the images with the parameters per kind;
/// applying it with known parameters reproduces that result exactly.
/// </summary>
public sealed class AugmentationPipeline
{
    private readonly IAugmentation[] _steps;

    /// <summary>Creates a pipeline that applies <paramref name="steps"/> in the given order.</summary>
    /// <param name="steps">The augmentations; no two of the same kind. May be empty (the images are copied unchanged).</param>
    /// <exception cref="ArgumentException">A step is null or two steps share a kind.</exception>
    public AugmentationPipeline(IEnumerable<IAugmentation> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        _steps = steps.ToArray();
        if (_steps.Any(s => s is null))
            throw new ArgumentException("A step is null.", nameof(steps));
        var duplicate = _steps.GroupBy(s => s.Kind).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"Transform kind {duplicate.Key} appears more than once; each kind can be applied once.", nameof(steps));
        Kinds = _steps.Select(s => s.Kind).ToArray();
    }

    /// <summary>
    /// The order <see cref="Default"/> applies its steps in: crop, flip, rotation, translation (geometry, crop
    /// first so that the view is chosen before it is moved), then colour and blur.
    /// </summary>
    public static IReadOnlyList<TransformKind> CanonicalOrder { get; } = Array.AsReadOnly(new[]
    {
        TransformKind.Crop, TransformKind.Flip, TransformKind.Rotation,
        TransformKind.Translation, TransformKind.Color, TransformKind.Blur,
    });

    /// <summary>The steps, in the order they are applied.</summary>
    public IReadOnlyList<IAugmentation> Steps => _steps;

    /// <summary>The kinds of the steps, in the order they are applied.</summary>
    public IReadOnlyList<TransformKind> Kinds { get; }

    /// <summary>
    /// The pipeline with default ranges for square images of side <paramref name="imageSize"/>, in
    /// <see cref="CanonicalOrder"/> whatever the order of <paramref name="kinds"/> (repeats ignored); no kinds means all six.
    /// Ranges (the follow-up paper's, translation scaled to the size): rotation ±45°; brightness, contrast,
    /// saturation ±0.4, hue ±0.1; blur σ ∈ [0.1, 2] px at every size (see <see cref="GaussianBlurOptions"/>);
    /// translation ±max(1, round(10·size/224)) px (1 px at 32, 10 px at 224); crop scale [0.2, 1], ratio [3/4, 4/3];
    /// flip probability 0.5.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="imageSize"/> is not positive.</exception>
    public static AugmentationPipeline Default(int imageSize, params TransformKind[] kinds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        ArgumentNullException.ThrowIfNull(kinds);
        var chosen = kinds.Length == 0 ? CanonicalOrder : CanonicalOrder.Where(kinds.Contains).ToArray();
        return new AugmentationPipeline(chosen.Select(kind => DefaultStep(kind, imageSize)));
    }

    /// <summary>The step of <paramref name="kind"/>, or null when the pipeline has none.</summary>
    public IAugmentation? StepOf(TransformKind kind) => _steps.FirstOrDefault(s => s.Kind == kind);

    /// <summary>
    /// Samples every step's parameters from <paramref name="generator"/> (in step order) and applies the steps in
    /// order to images <c>(B, 3, H, W)</c> in [0, 1]. Returns a new batch (the caller disposes it) with images
    /// <c>(B, 3, H, W)</c> and parameters <c>(B, k)</c> per kind, on the images' device.
    /// </summary>
    public AugmentedBatch Apply(Tensor images, Generator generator)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        ArgumentNullException.ThrowIfNull(generator);
        using var scope = torch.NewDisposeScope();
        var batch = checked((int)images.shape[0]);
        var parameters = _steps.Select(s => s.Sample(batch, generator, images.device)).ToArray();
        return Run(images, parameters);
    }

    /// <summary>
    /// Applies the steps in order with known parameters: <paramref name="parameters"/> must hold a <c>(B, k)</c>
    /// tensor for every kind of the pipeline (other kinds are ignored). Returns a new batch (the caller disposes it)
    /// holding the images and copies of the parameters used, on the images' device.
    /// </summary>
    /// <exception cref="ArgumentException">A kind of the pipeline is missing, or a tensor has the wrong shape.</exception>
    public AugmentedBatch Apply(Tensor images, IReadOnlyDictionary<TransformKind, Tensor> parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        ArgumentNullException.ThrowIfNull(parameters);
        var missing = Kinds.Where(k => !parameters.ContainsKey(k)).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException(
                $"Missing parameters for {string.Join(", ", missing)}; the pipeline applies {string.Join(", ", Kinds)}.", nameof(parameters));
        using var scope = torch.NewDisposeScope();
        var copies = _steps.Select(s => parameters[s.Kind].to(ScalarType.Float32, images.device).clone()).ToArray();
        return Run(images, copies);
    }

    /// <summary>Applies the steps with the given parameters; moves the results out of the caller's dispose scope.</summary>
    private AugmentedBatch Run(Tensor images, Tensor[] parameters)
    {
        var x = images;
        for (var i = 0; i < _steps.Length; i++)
            x = _steps[i].Apply(x, parameters[i]);
        if (ReferenceEquals(x, images))
            x = images.clone();
        x.MoveToOuterDisposeScope();
        foreach (var p in parameters)
            p.MoveToOuterDisposeScope();
        return new AugmentedBatch(x, Kinds, parameters);
    }

    private static IAugmentation DefaultStep(TransformKind kind, int imageSize) => kind switch
    {
        TransformKind.Rotation => new RandomRotation(),
        TransformKind.Color => new ColorJitter(),
        TransformKind.Blur => new GaussianBlur(),
        TransformKind.Translation => new RandomTranslation(RandomTranslationOptions.ForImageSize(imageSize)),
        TransformKind.Crop => new RandomResizedCrop(),
        TransformKind.Flip => new RandomHorizontalFlip(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown transform kind."),
    };
}
