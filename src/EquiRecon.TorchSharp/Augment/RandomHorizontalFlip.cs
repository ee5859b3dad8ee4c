using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Options of <see cref="RandomHorizontalFlip"/>.</summary>
public sealed record RandomHorizontalFlipOptions
{
    /// <summary>Probability that an image is flipped. Default 0.5; must be in [0, 1].</summary>
    public double Probability { get; init; } = 0.5;
}

/// <summary>
/// Horizontal (left–right) flip with per-sample parameter <c>flip</c> ∈ {0, 1}. Apply flips the images
/// whose parameter is above 0.5 (<c>torch.where</c> between the images and their mirror).
/// </summary>
public sealed class RandomHorizontalFlip : IAugmentation
{
    private static readonly string[] Names = ["flip"];

    /// <summary>Creates the augmentation; throws <see cref="ArgumentException"/> for options out of range.</summary>
    /// <param name="options">The options; null means the defaults.</param>
    public RandomHorizontalFlip(RandomHorizontalFlipOptions? options = null)
    {
        Options = options ?? new RandomHorizontalFlipOptions();
        AugmentationTensors.CheckRange(Options.Probability, 0, 1, nameof(RandomHorizontalFlipOptions.Probability), nameof(options));
    }

    /// <summary>The options in use.</summary>
    public RandomHorizontalFlipOptions Options { get; }

    /// <inheritdoc/>
    public TransformKind Kind => TransformKind.Flip;

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames => Names;

    /// <summary>Samples flips <c>(B, 1)</c>: 1 with probability <see cref="RandomHorizontalFlipOptions.Probability"/>, else 0.</summary>
    public Tensor Sample(int batch, Generator generator, Device device)
    {
        AugmentationTensors.CheckBatch(batch, generator, device);
        using var scope = torch.NewDisposeScope();
        var flips = (AugmentationTensors.Rand([batch, 1], generator) < Options.Probability).to(ScalarType.Float32).to(device);
        return flips.MoveToOuterDisposeScope();
    }

    /// <summary>Flips the images <c>(B, 3, H, W)</c> whose parameter <c>(B, 1)</c> is above 0.5; returns <c>(B, 3, H, W)</c>.</summary>
    public Tensor Apply(Tensor images, Tensor parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        var flip = AugmentationTensors.CheckParameters(images, parameters, 1, nameof(parameters)).view(-1, 1, 1, 1) > 0.5;
        var result = torch.where(flip, images.flip(3), images);
        return result.MoveToOuterDisposeScope();
    }
}
