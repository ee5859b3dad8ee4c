using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Options of <see cref="RandomResizedCrop"/>. All values are fractions or ratios, independent of image size.</summary>
public sealed record RandomResizedCropOptions
{
    /// <summary>Smallest crop area as a fraction of the image. Default 0.2 (VICReg/SIE); must be in (0, MaxScale].</summary>
    public double MinScale { get; init; } = 0.2;

    /// <summary>Largest crop area as a fraction of the image. Default 1.0; must be in [MinScale, 1].</summary>
    public double MaxScale { get; init; } = 1.0;

    /// <summary>Smallest aspect ratio w/h of the box. Default 3/4 (torchvision); must be in (0, MaxRatio].</summary>
    public double MinRatio { get; init; } = 3.0 / 4.0;

    /// <summary>Largest aspect ratio w/h of the box. Default 4/3 (torchvision); must be in [MinRatio, 100].</summary>
    public double MaxRatio { get; init; } = 4.0 / 3.0;

    /// <summary>Boxes drawn per image before falling back to the whole image (torchvision uses 10). Default 10; must be in [1, 100].</summary>
    public int Attempts { get; init; } = 10;
}

/// <summary>
/// Random resized crop with per-sample parameters <c>x0, y0, w, h</c>: the box's left, top, width and height
/// as fractions of the image width and height; the box is resized to the full H×W with bilinear sampling
/// (<c>affine_grid</c> + <c>grid_sample</c>, zero padding, <c>align_corners = false</c>).
/// Sampling follows torchvision, batched and without rounding to whole pixels: up to <c>Attempts</c> boxes
/// per image with area fraction uniform in [MinScale, MaxScale] and log aspect ratio uniform in
/// [log MinRatio, log MaxRatio]; the first box that fits inside the image is kept; if none fits, the
/// whole image (or the largest centred box within the ratio range). The position is uniform among the
/// positions that keep the box inside the image. Sampling does not know the image size, so the aspect
/// ratio is measured in normalized units (equal to pixel units for square images).
/// The box <c>(0, 0, 1, 1)</c> is the identity.
/// </summary>
public sealed class RandomResizedCrop : IAugmentation
{
    private static readonly string[] Names = ["x0", "y0", "w", "h"];

    /// <summary>Creates the augmentation; throws <see cref="ArgumentException"/> for options out of range.</summary>
    /// <param name="options">The options; null means the defaults.</param>
    public RandomResizedCrop(RandomResizedCropOptions? options = null)
    {
        Options = options ?? new RandomResizedCropOptions();
        var o = Options;
        AugmentationTensors.CheckRange(o.MaxScale, 1e-6, 1, nameof(RandomResizedCropOptions.MaxScale), nameof(options));
        AugmentationTensors.CheckRange(o.MinScale, 1e-6, o.MaxScale, nameof(RandomResizedCropOptions.MinScale), nameof(options));
        AugmentationTensors.CheckRange(o.MaxRatio, 1e-2, 100, nameof(RandomResizedCropOptions.MaxRatio), nameof(options));
        AugmentationTensors.CheckRange(o.MinRatio, 1e-2, o.MaxRatio, nameof(RandomResizedCropOptions.MinRatio), nameof(options));
        AugmentationTensors.CheckRange(o.Attempts, 1, 100, nameof(RandomResizedCropOptions.Attempts), nameof(options));
    }

    /// <summary>The options in use.</summary>
    public RandomResizedCropOptions Options { get; }

    /// <inheritdoc/>
    public TransformKind Kind => TransformKind.Crop;

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames => Names;

    /// <summary>Samples boxes <c>(B, 4)</c> = (x0, y0, w, h), fractions of the image, each box inside the image.</summary>
    public Tensor Sample(int batch, Generator generator, Device device)
    {
        AugmentationTensors.CheckBatch(batch, generator, device);
        using var scope = torch.NewDisposeScope();
        var o = Options;
        var attempts = o.Attempts;
        var u = AugmentationTensors.Rand([batch, 2 * attempts + 2], generator);
        var scale = o.MinScale + u[.., ..attempts] * (o.MaxScale - o.MinScale);
        var logRatio = Math.Log(o.MinRatio) + u[.., attempts..(2 * attempts)] * (Math.Log(o.MaxRatio) - Math.Log(o.MinRatio));
        var ratio = logRatio.exp();
        var w = (scale * ratio).sqrt();
        var h = (scale / ratio).sqrt();
        var fits = (w <= 1.0).logical_and(h <= 1.0);
        // argmax returns the first maximal index: the first box that fits.
        var first = fits.to(ScalarType.Int32).argmax(1, keepdim: true);
        var (fallbackW, fallbackH) = Fallback(o.MinRatio, o.MaxRatio);
        var any = fits.any(1, keepdim: true);
        w = torch.where(any, w.gather(1, first), fallbackW).clamp(0, 1);
        h = torch.where(any, h.gather(1, first), fallbackH).clamp(0, 1);
        var x0 = u[.., (2 * attempts)..(2 * attempts + 1)] * (1.0 - w);
        var y0 = u[.., (2 * attempts + 1)..] * (1.0 - h);
        var result = torch.cat([x0, y0, w, h], 1).to(device);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Crops boxes <c>(B, 4)</c> = (x0, y0, w, h) out of images <c>(B, 3, H, W)</c> and resizes them to H×W; returns <c>(B, 3, H, W)</c>.</summary>
    public Tensor Apply(Tensor images, Tensor parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        var box = AugmentationTensors.CheckParameters(images, parameters, 4, nameof(parameters));
        var x0 = box[.., 0];
        var y0 = box[.., 1];
        var w = box[.., 2];
        var h = box[.., 3];
        var zero = torch.zeros_like(w);
        // Normalized output x ∈ [−1, 1] maps to input −1 + 2·(x0 + w·(x + 1)/2) = w·x + (2·x0 + w − 1).
        var row0 = torch.stack([w, zero, 2.0 * x0 + w - 1.0], 1);
        var row1 = torch.stack([zero, h, 2.0 * y0 + h - 1.0], 1);
        var theta = torch.stack([row0, row1], 1);
        var result = GridSampling.Warp(images, theta);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>torchvision's fallback box size: the whole image when ratio 1 is allowed, else the largest box at the nearest allowed ratio.</summary>
    private static (double W, double H) Fallback(double minRatio, double maxRatio)
    {
        if (maxRatio < 1.0)
            return (maxRatio, 1.0);
        if (minRatio > 1.0)
            return (1.0, 1.0 / minRatio);
        return (1.0, 1.0);
    }
}
