using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// A loaded encoder ready for batched inference: eval mode, no gradients, the normalisation of
/// its manifest applied. One instance may be shared between threads: <see cref="Encode"/> keeps no state (eval-mode
/// BatchNorm, no autograd graph, libtorch's grad mode and EquiRecon's dispose scopes are per thread), so concurrent
/// calls run in parallel, each with the calling thread's libtorch thread setting. Do not switch <see cref="Encoder"/>
/// to training mode while others encode.
/// </summary>
public sealed class PretrainedEncoder : IDisposable
{
    private readonly Tensor _mean;
    private readonly Tensor _std;

    internal PretrainedEncoder(ModelManifest manifest, ResNetEncoder encoder, Device device)
    {
        Manifest = manifest;
        Encoder = encoder;
        Device = device;
        Encoder.to(device);
        Encoder.eval();
        _mean = tensor(manifest.Mean.ToArray(), device: device).view(1, 3, 1, 1);
        _std = tensor(manifest.Std.ToArray(), device: device).view(1, 3, 1, 1);
    }

    /// <summary>The manifest the encoder was loaded from.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>The encoder module (eval mode). Do not train it through this object.</summary>
    public ResNetEncoder Encoder { get; }

    /// <summary>The device inference runs on.</summary>
    public Device Device { get; }

    /// <summary>The invariant / equivariant split of the representation.</summary>
    public RepresentationSplit Split => Encoder.Config.Split;

    /// <summary>Side of the square input images the encoder was trained on.</summary>
    public int InputSize => Manifest.InputSize;

    /// <summary>
    /// Encodes a batch. <paramref name="images"/> is <c>(B, 3, H, W)</c>, uint8 in [0, 255] or float in
    /// [0, 1], with <c>H = W = InputSize</c>; it is moved to <see cref="Device"/> and normalized.
    /// Returns tokens <c>(B, N, C)</c> and pooled <c>(B, C)</c> on <see cref="Device"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The batch has the wrong rank, channels or size.</exception>
    public EncoderOutput Encode(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3 || images.shape[2] != InputSize || images.shape[3] != InputSize)
            throw new ArgumentException($"Expected images of shape (B, 3, {InputSize}, {InputSize}); got [{string.Join(", ", images.shape)}].", nameof(images));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var x = images.to(Device);
        x = x.dtype == ScalarType.Byte ? ImageTensors.ToFloat(x) : x.to(float32);
        var output = Encoder.call((x - _mean) / _std);
        return output.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Encoder.Dispose();
        _mean.Dispose();
        _std.Dispose();
    }
}
