using System.Globalization;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.IO;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.TensorShapes;

namespace EquiRecon.TorchSharp.Segmentation;

/// <summary>
/// Dense features of a frozen <see cref="PretrainedEncoder"/> at any image size. The ResNet encoders are fully
/// convolutional, so images larger than the size they were trained at (for example 64 or 128 px tiles for an encoder
/// trained on 32 px CIFAR images) give a finer token grid; <see cref="PretrainedEncoder.Encode"/> keeps its size check
/// for the featurizer and the probes, and segmentation goes through here instead.
/// </summary>
internal static class DenseFeatures
{
    /// <summary>
    /// Images <c>(B, 3, H, W)</c>, uint8 in [0, 255] or float in [0, 1], moved to the encoder's device and normalized
    /// with its manifest's mean and std: float <c>(B, 3, H, W)</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The images are not <c>(B, 3, H, W)</c>.</exception>
    public static Tensor Normalize(PretrainedEncoder encoder, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] < 1 || images.shape[3] < 1)
            throw new ArgumentException($"Expected images of shape (B, 3, H, W); got {Shape(images)}.", nameof(images));
        using var scope = NewDisposeScope();
        var x = images.to(encoder.Device);
        x = x.dtype == ScalarType.Byte ? ImageTensors.ToFloat(x) : x.to(ScalarType.Float32);
        return ImageTensors.Normalize(x, encoder.Manifest.Mean, encoder.Manifest.Std).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The encoder's feature map <c>(B, C, h, w)</c> of normalized images <c>(B, 3, H, W)</c> (from <see cref="Normalize"/>),
    /// upsampled (bilinear) by <paramref name="scale"/> first when it is above 1, without gradients; <c>h</c>, <c>w</c>
    /// are <see cref="Encoders.ResNetEncoderConfig.TokenGridSize"/> of <c>scale·H</c> and <c>scale·W</c>.
    /// </summary>
    public static Tensor Encode(PretrainedEncoder encoder, Tensor normalized, int scale = 1)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(normalized);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var input = scale == 1 ? normalized : nn.functional.interpolate(normalized, scale_factor: [scale, scale], mode: InterpolationMode.Bilinear, align_corners: false);
        var config = encoder.Encoder.Config;
        var h = config.TokenGridSize(checked((int)input.shape[2]));
        var w = config.TokenGridSize(checked((int)input.shape[3]));
        var output = encoder.Encoder.call(input);
        return ToMap(output.Tokens, h, w).MoveToOuterDisposeScope();
    }

    /// <summary>Tokens <c>(B, h·w, C)</c> in row-major order as a feature map <c>(B, C, h, w)</c>.</summary>
    /// <exception cref="ArgumentException">The token count is not <c>h·w</c>.</exception>
    public static Tensor ToMap(Tensor tokens, int h, int w)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (tokens.dim() != 3 || tokens.shape[1] != (long)h * w)
            throw new ArgumentException($"Expected tokens of shape (B, {(h * w).ToString(CultureInfo.InvariantCulture)}, C) for a {h.ToString(CultureInfo.InvariantCulture)}×{w.ToString(CultureInfo.InvariantCulture)} grid, got {Shape(tokens)}.", nameof(tokens));
        return tokens.transpose(1, 2).reshape(tokens.shape[0], tokens.shape[2], h, w);
    }
}
