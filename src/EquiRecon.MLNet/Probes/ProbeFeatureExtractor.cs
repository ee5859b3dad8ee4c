using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Probes;

/// <summary>The probe's input features of images: the chosen part of the tokens (flattened) or of the pooled representation.</summary>
internal sealed class ProbeFeatureExtractor
{
    private readonly PretrainedEncoder _encoder;
    private readonly RepresentationPart _part;
    private readonly ProbeFeatures _features;

    public ProbeFeatureExtractor(PretrainedEncoder encoder, RepresentationPart part, ProbeFeatures features)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        _encoder = encoder;
        _part = part;
        _features = features;
        int channels = encoder.Split.Channels(part);
        int grid = encoder.Encoder.Config.TokenGridSize(encoder.InputSize);
        Dimension = features == ProbeFeatures.Pooled ? channels : grid * grid * channels;
    }

    /// <summary>Features per image, <c>d</c>.</summary>
    public int Dimension { get; }

    /// <summary>Features <c>(B, d)</c> of images <c>(B, 3, S, S)</c> in [0, 1], without gradients.</summary>
    public Tensor Extract(Tensor images)
    {
        using var scope = NewDisposeScope();
        var output = _encoder.Encode(images);
        var selected = _features == ProbeFeatures.Pooled
            ? _encoder.Split.Select(_part, output.Pooled)
            : _encoder.Split.Select(_part, output.Tokens).flatten(1);
        return selected.contiguous().MoveToOuterDisposeScope();
    }
}
