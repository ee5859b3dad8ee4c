using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>
/// Options of <see cref="RandomTranslation"/>. The follow-up paper translates by up to ±10 px at 224 px;
/// <see cref="ForImageSize"/> scales that to other sizes. The default (1 px) is <c>ForImageSize(32)</c>.
/// </summary>
public sealed record RandomTranslationOptions
{
    /// <summary>Reference range of the follow-up paper: ±10 px at 224 px.</summary>
    public const double ReferencePixels = 10.0;

    /// <summary>Image size at which <see cref="ReferencePixels"/> applies.</summary>
    public const int ReferenceImageSize = 224;

    /// <summary>
    /// Largest absolute shift in pixels; dx and dy are independent and uniform (continuous) in [−MaxPixels, MaxPixels].
    /// Default 1 (the value <see cref="ForImageSize"/> gives at 32 px); must be in [0, 4096].
    /// </summary>
    public double MaxPixels { get; init; } = 1.0;

    /// <summary>
    /// Options for square images of side <paramref name="imageSize"/>:
    /// <c>MaxPixels = max(1, round(10 · imageSize / 224))</c>, e.g. 1 px at 32, 3 px at 64, 10 px at 224.
    /// </summary>
    public static RandomTranslationOptions ForImageSize(int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageSize);
        var pixels = Math.Round(ReferencePixels * imageSize / ReferenceImageSize, MidpointRounding.AwayFromZero);
        return new RandomTranslationOptions { MaxPixels = Math.Max(1.0, pixels) };
    }
}

/// <summary>
/// Translation by per-sample shifts (parameters <c>dx, dy</c> in pixels; positive dx moves the content
/// right, positive dy moves it down). Integer and fractional shifts both go through bilinear
/// <c>grid_sample</c> with zero padding (<c>align_corners = false</c>): an integer shift equals
/// <c>torch.roll</c> inside the valid region and is zero where content entered from outside.
/// </summary>
public sealed class RandomTranslation : IAugmentation
{
    private static readonly string[] Names = ["dx", "dy"];

    /// <summary>Creates the augmentation; throws <see cref="ArgumentException"/> for options out of range.</summary>
    /// <param name="options">The options; null means the defaults.</param>
    public RandomTranslation(RandomTranslationOptions? options = null)
    {
        Options = options ?? new RandomTranslationOptions();
        AugmentationTensors.CheckRange(Options.MaxPixels, 0, 4096, nameof(RandomTranslationOptions.MaxPixels), nameof(options));
    }

    /// <summary>The options in use.</summary>
    public RandomTranslationOptions Options { get; }

    /// <inheritdoc/>
    public TransformKind Kind => TransformKind.Translation;

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames => Names;

    /// <summary>Samples shifts <c>(B, 2)</c> = (dx, dy) in pixels, each uniform in [−MaxPixels, MaxPixels].</summary>
    public Tensor Sample(int batch, Generator generator, Device device)
    {
        AugmentationTensors.CheckBatch(batch, generator, device);
        var m = Options.MaxPixels;
        return AugmentationTensors.Uniform(batch, [-m, -m], [m, m], generator, device);
    }

    /// <summary>Shifts images <c>(B, 3, H, W)</c> by (dx, dy) <c>(B, 2)</c> pixels; returns <c>(B, 3, H, W)</c>.</summary>
    public Tensor Apply(Tensor images, Tensor parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        var shift = AugmentationTensors.CheckParameters(images, parameters, 2, nameof(parameters));
        double height = images.shape[2], width = images.shape[3];
        var one = torch.ones_like(shift[.., 0]);
        var zero = torch.zeros_like(one);
        // Output pixel x samples input x − dx; one pixel is 2/W in normalized coordinates.
        var row0 = torch.stack([one, zero, shift[.., 0] * (-2.0 / width)], 1);
        var row1 = torch.stack([zero, one, shift[.., 1] * (-2.0 / height)], 1);
        var theta = torch.stack([row0, row1], 1);
        var result = GridSampling.Warp(images, theta);
        return result.MoveToOuterDisposeScope();
    }
}
