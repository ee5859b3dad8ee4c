using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Options of <see cref="RandomRotation"/>.</summary>
public sealed record RandomRotationOptions
{
    /// <summary>
    /// Largest absolute angle in degrees; angles are uniform in [−MaxDegrees, MaxDegrees].
    /// Default 45 (the follow-up paper's range). Must be in [0, 180]. Independent of image size.
    /// </summary>
    public double MaxDegrees { get; init; } = 45.0;
}

/// <summary>
/// Rotation about the image centre by a per-sample angle (parameter <c>angle</c>, degrees,
/// counter-clockwise as displayed, the torchvision convention). Bilinear sampling with zero
/// padding (<c>affine_grid</c> + <c>grid_sample</c>, <c>align_corners = false</c>); the aspect
/// ratio is taken into account, so non-square images rotate rigidly too.
/// </summary>
public sealed class RandomRotation : IAugmentation
{
    private static readonly string[] Names = ["angle"];

    /// <summary>Creates the augmentation; throws <see cref="ArgumentException"/> for options out of range.</summary>
    /// <param name="options">The options; null means the defaults.</param>
    public RandomRotation(RandomRotationOptions? options = null)
    {
        Options = options ?? new RandomRotationOptions();
        AugmentationTensors.CheckRange(Options.MaxDegrees, 0, 180, nameof(RandomRotationOptions.MaxDegrees), nameof(options));
    }

    /// <summary>The options in use.</summary>
    public RandomRotationOptions Options { get; }

    /// <inheritdoc/>
    public TransformKind Kind => TransformKind.Rotation;

    /// <inheritdoc/>
    public IReadOnlyList<string> ParameterNames => Names;

    /// <summary>Samples angles <c>(B, 1)</c> in degrees, uniform in [−MaxDegrees, MaxDegrees].</summary>
    public Tensor Sample(int batch, Generator generator, Device device)
    {
        AugmentationTensors.CheckBatch(batch, generator, device);
        return AugmentationTensors.Uniform(batch, [-Options.MaxDegrees], [Options.MaxDegrees], generator, device);
    }

    /// <summary>Rotates images <c>(B, 3, H, W)</c> by the angles <c>(B, 1)</c> (degrees, any value); returns <c>(B, 3, H, W)</c>.</summary>
    public Tensor Apply(Tensor images, Tensor parameters)
    {
        AugmentationTensors.CheckImages(images, nameof(images));
        using var scope = torch.NewDisposeScope();
        var angle = AugmentationTensors.CheckParameters(images, parameters, 1, nameof(parameters)).squeeze(1) * (Math.PI / 180.0);
        double height = images.shape[2], width = images.shape[3];
        var cos = angle.cos();
        var sin = angle.sin();
        var zero = torch.zeros_like(cos);
        // Output pixel p samples the input at R(−θ)·p about the centre; normalized coordinates scale x by W/2 and y by H/2.
        var row0 = torch.stack([cos, -sin * (height / width), zero], 1);
        var row1 = torch.stack([sin * (width / height), cos, zero], 1);
        var theta = torch.stack([row0, row1], 1);
        var result = GridSampling.Warp(images, theta);
        return result.MoveToOuterDisposeScope();
    }
}
