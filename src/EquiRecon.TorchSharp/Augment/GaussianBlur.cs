using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>
/// Options of <see cref="GaussianBlur"/>. σ is in pixels. The defaults [0.1, 2] are the follow-up paper's
/// range (there at 224 px) and are used unchanged at 32 px (CIFAR-10): scaling them by 32/224 would leave
/// σ ≤ 0.3 px, a blur too weak to see or predict. For the same blur relative to the image, multiply both
/// bounds by <c>imageSize / 224</c>.
/// </summary>
public sealed record GaussianBlurOptions
{
    /// <summary>Smallest σ in pixels. Default 0.1; must be in (0, MaxSigma].</summary>
    public double MinSigma { get; init; } = 0.1;

    /// <summary>Largest σ in pixels. Default 2.0; must be in [MinSigma, 50]. Also fixes the kernel size.</summary>
    public double MaxSigma { get; init; } = 2.0;
}

/// <summary>
/// Gaussian blur with a per-sample standard deviation (parameter <c>sigma</c>, pixels). Separable: per-sample
/// 1-D kernels <c>(B, K)</c> are applied horizontally then vertically as one grouped (depthwise) convolution
/// with the batch folded into the channels, after reflect padding. The kernel size depends only on the options
/// and the image size, not on the sampled values: <c>K = 2·ceil(3·MaxSigma) + 1</c>, capped at
/// <c>2·(min(H, W) − 1) + 1</c> so reflect padding fits. A σ above MaxSigma is applied with that (truncated) kernel.
/// </summary>
public sealed class GaussianBlur : IAugmentation
{
    private static readonly string[] Names = ["sigma"];

    /// <summary>Creates the augmentation; throws <see cref="ArgumentException"/> for options out of range.</summary>
    /// <param name="options">The options; null means the defaults.</param>
    public GaussianBlur(GaussianBlurOptions? options = null)
    {
        Options = options ?? new GaussianBlurOptions();
        AugmentationTensors.CheckRange(Options.MaxSigma, 1e-3, 50, nameof(GaussianBlurOptions.MaxSigma), nameof(options));
        AugmentationTensors.CheckRange(Options.MinSigma, 1e-3, Options.MaxSigma, nameof(GaussianBlurOptions.MinSigma), nameof(options));
    }

    /// <summary>The options in use.</summary>
    public GaussianBlurOptions Options { get; }

    /// <inheritdoc/>
    public TransformKind Kind => TransformKind.Blur;

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames => Names;

    /// <summary>The odd kernel size used for images with the given height and width.</summary>
    public int KernelSize(long height, long width)
    {
        var half = (int)Math.Ceiling(3.0 * Options.MaxSigma);
        half = (int)Math.Min(half, Math.Min(height, width) - 1);
        return 2 * Math.Max(half, 0) + 1;
    }

    /// <summary>Samples σ <c>(B, 1)</c> in pixels, uniform in [MinSigma, MaxSigma].</summary>
    public Tensor Sample(int batch, Generator generator, Device device)
    {
        AugmentationTensors.CheckBatch(batch, generator, device);
        return AugmentationTensors.Uniform(batch, [Options.MinSigma], [Options.MaxSigma], generator, device);
    }

    /// <summary>Blurs images <c>(B, 3, H, W)</c> with σ <c>(B, 1)</c> (pixels; values below 1e-3 count as 1e-3, i.e. no blur); returns <c>(B, 3, H, W)</c>.</summary>
    public Tensor Apply(Tensor images, Tensor parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        var sigma = AugmentationTensors.CheckParameters(images, parameters, 1, nameof(parameters)).clamp_min(1e-3);
        long batch = images.shape[0], channels = images.shape[1], height = images.shape[2], width = images.shape[3];
        var size = KernelSize(height, width);
        if (size == 1)
            return images.clone().MoveToOuterDisposeScope();
        var half = size / 2;

        // Per-sample normalized 1-D kernels (B, K), repeated per channel: (B·C, K).
        var offsets = torch.arange(-half, half + 1, images.dtype, images.device).unsqueeze(0);
        var kernel = (-(offsets * offsets) / (2.0 * sigma * sigma)).exp();
        kernel = (kernel / kernel.sum(1, keepdim: true)).repeat_interleave(channels, 0);

        var folded = images.reshape(1, batch * channels, height, width);
        var padded = nn.functional.pad(folded, [half, half, half, half], PaddingModes.Reflect);
        var groups = batch * channels;
        var horizontal = nn.functional.conv2d(padded, kernel.view(groups, 1, 1, size), groups: groups);
        var vertical = nn.functional.conv2d(horizontal, kernel.view(groups, 1, size, 1), groups: groups);
        var result = vertical.reshape(batch, channels, height, width);
        return result.MoveToOuterDisposeScope();
    }
}
