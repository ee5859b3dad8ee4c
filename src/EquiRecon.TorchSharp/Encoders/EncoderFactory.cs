using EquiRecon.TorchSharp.Runtime;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>Builds encoders from their configuration records.</summary>
public static class EncoderFactory
{
    /// <summary>Creates a <see cref="ResNetEncoder"/> of the given shape, e.g. <see cref="ResNetEncoderConfig.SmallCifarResNet"/>.</summary>
    /// <param name="config">The shape (validated).</param>
    /// <returns>A new encoder in training mode, weights initialised like torchvision.</returns>
    /// <remarks>Loads TorchSharp's native library first (<see cref="TorchNative.EnsureLoaded()"/>).</remarks>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public static ResNetEncoder Create(ResNetEncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        TorchNative.EnsureLoaded();
        return new ResNetEncoder(config);
    }
}
