using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Options of <see cref="ColorJitter"/>. All ranges are independent of image size.</summary>
public sealed record ColorJitterOptions
{
    /// <summary>Largest brightness offset b; the factor 1 + b is uniform in [1 − Brightness, 1 + Brightness]. Default 0.4; must be in [0, 1].</summary>
    public double Brightness { get; init; } = 0.4;

    /// <summary>Largest contrast offset c; the factor 1 + c is uniform in [1 − Contrast, 1 + Contrast]. Default 0.4; must be in [0, 1].</summary>
    public double Contrast { get; init; } = 0.4;

    /// <summary>Largest saturation offset s; the factor 1 + s is uniform in [1 − Saturation, 1 + Saturation]. Default 0.4; must be in [0, 1].</summary>
    public double Saturation { get; init; } = 0.4;

    /// <summary>Largest hue shift h, a fraction of the hue circle; h is uniform in [−Hue, Hue]. Default 0.1; must be in [0, 0.5].</summary>
    public double Hue { get; init; } = 0.1;
}

/// <summary>
/// Colour jitter with four per-sample parameters <c>brightness, contrast, saturation, hue</c>, all
/// additive offsets (0 = unchanged). Applied in the fixed order brightness, contrast, saturation, hue,
/// clamping to [0, 1] after each step (as torchvision does):
/// brightness multiplies by 1 + b; contrast blends with the per-image mean of the grayscale image,
/// <c>(1 + c)·x − c·mean</c>; saturation blends with the grayscale image, <c>(1 + s)·x − s·gray</c>;
/// hue adds h (a fraction of the circle, taken modulo 1) to the hue in HSV space.
/// Grayscale uses the ITU-R 601 weights 0.2989, 0.587, 0.114 (torchvision's).
/// </summary>
public sealed class ColorJitter : IAugmentation
{
    private static readonly string[] Names = ["brightness", "contrast", "saturation", "hue"];

    /// <summary>Creates the augmentation; throws <see cref="ArgumentException"/> for options out of range.</summary>
    /// <param name="options">The options; null means the defaults.</param>
    public ColorJitter(ColorJitterOptions? options = null)
    {
        Options = options ?? new ColorJitterOptions();
        AugmentationTensors.CheckRange(Options.Brightness, 0, 1, nameof(ColorJitterOptions.Brightness), nameof(options));
        AugmentationTensors.CheckRange(Options.Contrast, 0, 1, nameof(ColorJitterOptions.Contrast), nameof(options));
        AugmentationTensors.CheckRange(Options.Saturation, 0, 1, nameof(ColorJitterOptions.Saturation), nameof(options));
        AugmentationTensors.CheckRange(Options.Hue, 0, 0.5, nameof(ColorJitterOptions.Hue), nameof(options));
    }

    /// <summary>The options in use.</summary>
    public ColorJitterOptions Options { get; }

    /// <inheritdoc/>
    public TransformKind Kind => TransformKind.Color;

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames => Names;

    /// <summary>Samples offsets <c>(B, 4)</c>: brightness, contrast, saturation, hue, each uniform in ±its option.</summary>
    public Tensor Sample(int batch, Generator generator, Device device)
    {
        AugmentationTensors.CheckBatch(batch, generator, device);
        var o = Options;
        return AugmentationTensors.Uniform(batch,
            [-o.Brightness, -o.Contrast, -o.Saturation, -o.Hue],
            [o.Brightness, o.Contrast, o.Saturation, o.Hue], generator, device);
    }

    /// <summary>Applies offsets <c>(B, 4)</c> to images <c>(B, 3, H, W)</c> in [0, 1]; returns <c>(B, 3, H, W)</c> in [0, 1].</summary>
    public Tensor Apply(Tensor images, Tensor parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        var p = AugmentationTensors.CheckParameters(images, parameters, 4, nameof(parameters)).view(-1, 4, 1, 1);
        var brightness = p[.., 0..1];
        var contrast = p[.., 1..2];
        var saturation = p[.., 2..3];
        var hue = p[.., 3];

        var x = (images * (1 + brightness)).clamp(0, 1);
        var mean = Grayscale(x).mean([1, 2, 3], keepdim: true);
        x = ((1 + contrast) * x - contrast * mean).clamp(0, 1);
        x = ((1 + saturation) * x - saturation * Grayscale(x)).clamp(0, 1);
        x = ShiftHue(x, hue);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>Grayscale <c>(B, 1, H, W)</c> of RGB images <c>(B, 3, H, W)</c> with the ITU-R 601 weights.</summary>
    internal static Tensor Grayscale(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var gray = 0.2989 * images[.., 0..1] + 0.587 * images[.., 1..2] + 0.114 * images[.., 2..3];
        return gray.MoveToOuterDisposeScope();
    }

    /// <summary>Adds <paramref name="shift"/> <c>(B, 1, 1)</c> (fraction of the circle) to the hue of images <c>(B, 3, H, W)</c> in [0, 1].</summary>
    internal static Tensor ShiftHue(Tensor images, Tensor shift)
    {
        using var scope = torch.NewDisposeScope();
        var (h, s, v) = RgbToHsv(images);
        h = (h + shift).remainder(1.0);
        var result = HsvToRgb(h, s, v).clamp(0, 1);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>RGB <c>(B, 3, H, W)</c> in [0, 1] to hue (fraction of the circle), saturation and value, each <c>(B, H, W)</c>.</summary>
    internal static (Tensor H, Tensor S, Tensor V) RgbToHsv(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var r = images[.., 0];
        var g = images[.., 1];
        var b = images[.., 2];
        var maxc = images.amax([1]);
        var minc = images.amin([1]);
        var gray = maxc == minc;
        var range = maxc - minc;
        var ones = torch.ones_like(maxc);
        var s = range / torch.where(gray, ones, maxc);
        var divisor = torch.where(gray, ones, range);
        var rc = (maxc - r) / divisor;
        var gc = (maxc - g) / divisor;
        var bc = (maxc - b) / divisor;
        var isR = maxc == r;
        var isG = (maxc == g).logical_and(isR.logical_not());
        var isB = isR.logical_or(maxc == g).logical_not();
        var hr = isR.to(images.dtype) * (bc - gc);
        var hg = isG.to(images.dtype) * (2.0 + rc - bc);
        var hb = isB.to(images.dtype) * (4.0 + gc - rc);
        var h = ((hr + hg + hb) / 6.0 + 1.0).remainder(1.0);
        return (h.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope(), maxc.MoveToOuterDisposeScope());
    }

    /// <summary>Hue (fraction of the circle), saturation and value, each <c>(B, H, W)</c>, to RGB <c>(B, 3, H, W)</c>.</summary>
    internal static Tensor HsvToRgb(Tensor h, Tensor s, Tensor v)
    {
        using var scope = torch.NewDisposeScope();
        var h6 = h * 6.0;
        var sector = h6.floor();
        var f = h6 - sector;
        var i = sector.remainder(6.0);
        var p = (v * (1.0 - s)).clamp(0, 1);
        var q = (v * (1.0 - s * f)).clamp(0, 1);
        var t = (v * (1.0 - s * (1.0 - f))).clamp(0, 1);
        // One-hot of the sector (B, 6, H, W); each channel is the sum over sectors of its sector value.
        var sectors = torch.arange(6, h.dtype, h.device).view(1, 6, 1, 1);
        var mask = (i.unsqueeze(1) == sectors).to(h.dtype);
        var red = (mask * torch.stack([v, q, p, p, t, v], 1)).sum(1);
        var green = (mask * torch.stack([t, v, v, q, p, p], 1)).sum(1);
        var blue = (mask * torch.stack([p, p, t, v, v, q], 1)).sum(1);
        var result = torch.stack([red, green, blue], 1);
        return result.MoveToOuterDisposeScope();
    }
}
