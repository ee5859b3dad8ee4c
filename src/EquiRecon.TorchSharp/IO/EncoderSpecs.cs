using EquiRecon.TorchSharp.Encoders;

namespace EquiRecon.TorchSharp.IO;

/// <summary>Converts between <see cref="ResNetEncoderConfig"/> and its plain-data form in manifests and checkpoints.</summary>
public static class EncoderSpecs
{
    /// <summary>The manifest form of <paramref name="config"/>.</summary>
    public static EncoderSpec ToSpec(ResNetEncoderConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new EncoderSpec
        {
            Stem = config.Stem.ToString(),
            Widths = config.Widths.ToArray(),
            BlocksPerStage = config.BlocksPerStage.ToArray(),
            InvariantChannels = config.Split.InvariantChannels,
            EquivariantChannels = config.Split.EquivariantChannels,
            InputOffsetSize = config.InputOffsetSize,
        };
    }

    /// <summary>The encoder configuration described by <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">The spec is invalid (unknown stem, inconsistent sizes).</exception>
    public static ResNetEncoderConfig ToConfig(EncoderSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!Enum.TryParse<ResNetStem>(spec.Stem, ignoreCase: false, out var stem) || !Enum.IsDefined(stem))
            throw new ArgumentException($"Unknown encoder stem '{spec.Stem}'; expected one of {string.Join(", ", Enum.GetNames<ResNetStem>())}.", nameof(spec));
        if (spec.Widths is null || spec.BlocksPerStage is null)
            throw new ArgumentException("The encoder spec needs widths and blocksPerStage.", nameof(spec));
        var config = new ResNetEncoderConfig(stem, spec.Widths.ToArray(), spec.BlocksPerStage.ToArray(),
            new RepresentationSplit(spec.InvariantChannels, spec.EquivariantChannels)) { InputOffsetSize = spec.InputOffsetSize };
        config.Validate();
        return config;
    }

    /// <summary>True when both specs describe the same architecture and split.</summary>
    public static bool SameArchitecture(EncoderSpec a, EncoderSpec b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Stem == b.Stem && a.Widths.SequenceEqual(b.Widths) && a.BlocksPerStage.SequenceEqual(b.BlocksPerStage)
            && a.InvariantChannels == b.InvariantChannels && a.EquivariantChannels == b.EquivariantChannels && a.InputOffsetSize == b.InputOffsetSize;
    }
}
