using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Argument checks and sampling helpers shared by the augmentations.</summary>
internal static class AugmentationTensors
{
    /// <summary>Formats a shape as <c>(2, 3, 16, 16)</c>.</summary>
    public static string Shape(Tensor tensor) => TensorShapes.Shape(tensor, parentheses: true);

    /// <summary>Throws unless <paramref name="images"/> is a floating-point <c>(B, 3, H, W)</c> tensor with B ≥ 1.</summary>
    public static void CheckImages(Tensor images, string paramName)
    {
        ArgumentNullException.ThrowIfNull(images, paramName);
        if (images.ndim != 4 || images.shape[1] != 3 || images.shape[0] < 1)
            throw new ArgumentException($"Expected images of shape (B, 3, H, W) with B >= 1, got {Shape(images)}.", paramName);
        if (!images.is_floating_point())
            throw new ArgumentException($"Expected floating-point images in [0, 1], got dtype {images.dtype}; convert uint8 images with ImageTensors.ToFloat.", paramName);
    }

    /// <summary>
    /// Throws unless <paramref name="parameters"/> has shape <c>(B, k)</c> for the images' batch size;
    /// returns the parameters as a tensor of the images' dtype on the images' device.
    /// </summary>
    public static Tensor CheckParameters(Tensor images, Tensor parameters, int k, string paramName)
    {
        ArgumentNullException.ThrowIfNull(parameters, paramName);
        var batch = images.shape[0];
        if (parameters.ndim != 2 || parameters.shape[0] != batch || parameters.shape[1] != k)
            throw new ArgumentException(
                $"Expected parameters of shape ({batch.ToString(CultureInfo.InvariantCulture)}, {k.ToString(CultureInfo.InvariantCulture)}) " +
                $"for images {Shape(images)}, got {Shape(parameters)}.", paramName);
        return parameters.to(images.dtype, images.device);
    }

    /// <summary>Throws unless <paramref name="batch"/> is positive.</summary>
    public static void CheckBatch(int batch, Generator generator, Device device)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(device);
    }

    /// <summary>
    /// Uniform samples <c>(B, k)</c> float32 on <paramref name="device"/>: column j in
    /// [<paramref name="low"/>[j], <paramref name="high"/>[j]]. Drawn on the generator's device, then moved.
    /// </summary>
    public static Tensor Uniform(int batch, double[] low, double[] high, Generator generator, Device device)
    {
        using var scope = torch.NewDisposeScope();
        var k = low.Length;
        var u = torch.rand([batch, k], ScalarType.Float32, generator.device, generator: generator);
        var lo = torch.tensor(low.Select(v => (float)v).ToArray(), ScalarType.Float32, generator.device);
        var hi = torch.tensor(high.Select(v => (float)v).ToArray(), ScalarType.Float32, generator.device);
        var result = (lo + u * (hi - lo)).to(device);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Uniform samples in [0, 1) of the given shape, float32, on the generator's device.</summary>
    public static Tensor Rand(long[] shape, Generator generator) =>
        torch.rand(shape, ScalarType.Float32, generator.device, generator: generator);

    /// <summary>
    /// Throws <see cref="ArgumentOutOfRangeException"/> for parameter <paramref name="paramName"/> unless
    /// <paramref name="value"/> (the option called <paramref name="option"/>) is finite and in [<paramref name="min"/>, <paramref name="max"/>].
    /// </summary>
    public static void CheckRange(double value, double min, double max, string option, string paramName)
    {
        if (!double.IsFinite(value) || value < min || value > max)
            throw new ArgumentOutOfRangeException(paramName, value,
                $"{option} must be in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}], " +
                $"got {value.ToString(CultureInfo.InvariantCulture)}.");
    }
}
