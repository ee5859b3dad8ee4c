using System.Collections.Frozen;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>
/// Command-line names of the encoder presets. A name only selects a preset; the sizes live in
/// the <see cref="ResNetEncoderConfig"/> it returns (and in every manifest written).
/// </summary>
public static class EncoderNames
{
    private static readonly FrozenDictionary<string, ResNetEncoderConfig> Presets = new Dictionary<string, ResNetEncoderConfig>
    {
        ["cifar-resnet18"] = ResNetEncoderConfig.CifarResNet18,
        ["cifar-resnet18-half-width"] = ResNetEncoderConfig.CifarResNet18HalfWidth,
        [Default] = ResNetEncoderConfig.SmallCifarResNet,
        ["imagenet-resnet18"] = ResNetEncoderConfig.ImageNetResNet18,
        ["mlnet-resnet18"] = ResNetEncoderConfig.MlNetResNet18,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The encoder a pretraining run uses unless told otherwise: <c>small-cifar-resnet</c> (widths 32–256, 256 = 128 + 128 channels).</summary>
    public const string Default = "small-cifar-resnet";

    /// <summary>The names, sorted.</summary>
    public static IReadOnlyList<string> Names { get; } = Presets.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>The preset called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static ResNetEncoderConfig Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Presets.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"Unknown encoder '{name}'. Known encoders: {string.Join(", ", Names)}.", nameof(name));
    }
}
