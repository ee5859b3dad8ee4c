using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Conversions between stored images and the tensors augmentations and encoders take.</summary>
public static class ImageTensors
{
    /// <summary>
    /// Per-channel RGB mean of the CIFAR-10 training set (pixels in [0, 1]): 0.4914, 0.4822, 0.4465.
    /// </summary>
    public static IReadOnlyList<float> Cifar10Mean { get; } = Array.AsReadOnly(new[] { 0.4914f, 0.4822f, 0.4465f });

    /// <summary>
    /// Per-channel RGB standard deviation of the CIFAR-10 training set over all pixels (in [0, 1]): 0.2470, 0.2435, 0.2616.
    /// (The often-copied 0.2023, 0.1994, 0.2010 are means of per-image deviations, not the dataset's.)
    /// </summary>
    public static IReadOnlyList<float> Cifar10Std { get; } = Array.AsReadOnly(new[] { 0.2470f, 0.2435f, 0.2616f });

    /// <summary>Converts uint8 images <c>(B, 3, H, W)</c> in [0, 255] to float32 <c>(B, 3, H, W)</c> in [0, 1] on the same device.</summary>
    public static Tensor ToFloat(Tensor uint8Images)
    {
        ArgumentNullException.ThrowIfNull(uint8Images);
        if (uint8Images.dtype != ScalarType.Byte)
            throw new ArgumentException($"Expected uint8 (Byte) images, got dtype {uint8Images.dtype}.", nameof(uint8Images));
        if (uint8Images.ndim != 4 || uint8Images.shape[1] != 3)
            throw new ArgumentException($"Expected images of shape (B, 3, H, W), got {AugmentationTensors.Shape(uint8Images)}.", nameof(uint8Images));
        using var scope = torch.NewDisposeScope();
        var result = uint8Images.to(ScalarType.Float32).div_(255.0f);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Normalizes float images <c>(B, C, H, W)</c> per channel, <c>(x − mean[c]) / std[c]</c>, for the encoder
    /// input; <paramref name="mean"/> and <paramref name="std"/> have length C, every std positive.
    /// Returns a new tensor <c>(B, C, H, W)</c>.
    /// </summary>
    public static Tensor Normalize(Tensor images, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (images.ndim != 4 || !images.is_floating_point())
            throw new ArgumentException($"Expected floating-point images of shape (B, C, H, W), got {AugmentationTensors.Shape(images)} of dtype {images.dtype}.", nameof(images));
        var channels = images.shape[1];
        if (mean.Count != channels)
            throw new ArgumentException($"Expected {channels.ToString(CultureInfo.InvariantCulture)} means (one per channel of {AugmentationTensors.Shape(images)}), got {mean.Count.ToString(CultureInfo.InvariantCulture)}.", nameof(mean));
        if (std.Count != channels)
            throw new ArgumentException($"Expected {channels.ToString(CultureInfo.InvariantCulture)} standard deviations (one per channel of {AugmentationTensors.Shape(images)}), got {std.Count.ToString(CultureInfo.InvariantCulture)}.", nameof(std));
        if (std.Any(s => !(s > 0) || !float.IsFinite(s)))
            throw new ArgumentException("Every standard deviation must be positive and finite.", nameof(std));
        using var scope = torch.NewDisposeScope();
        var m = torch.tensor(mean.ToArray(), images.dtype, images.device).view(1, channels, 1, 1);
        var s = torch.tensor(std.ToArray(), images.dtype, images.device).view(1, channels, 1, 1);
        var result = (images - m) / s;
        return result.MoveToOuterDisposeScope();
    }
}
