using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// Sizes of the heads a method builds on top of the encoder, for fitting a method to a compute
/// budget (the paper-scale defaults live in each objective's config).
/// </summary>
/// <param name="ExpanderWidth">VICReg expander width (paper scale: 2048 for ResNet-18 on CIFAR).</param>
/// <param name="ProjectorWidth">SIE projector width (paper scale: 1024).</param>
/// <param name="Decoder">Reconstruction decoder width, heads and depth (paper-scale defaults in <see cref="ReconstructionDecoderOptions"/>).</param>
public sealed record HeadSizes(int ExpanderWidth, int ProjectorWidth, ReconstructionDecoderOptions Decoder)
{
    /// <summary>
    /// Head sizes in proportion to an encoder of <paramref name="channels"/> output channels, keeping the
    /// paper-scale ratios of the 512-channel ResNet-18: expander 4·C (2048), projector 2·C (1024),
    /// decoder width C/2 (256) with 4 heads and 2 self-attention layers. This keeps the decoder's
    /// share of a step roughly constant across encoder sizes (about 10 % of the encoder's FLOPs).
    /// </summary>
    public static HeadSizes ScaledTo(int channels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 16);
        var width = Math.Max(16, channels / 2);
        var heads = width >= 64 ? 4 : 2;
        return new HeadSizes(4 * channels, 2 * channels, new ReconstructionDecoderOptions(Width: width, Heads: heads));
    }

    /// <summary>
    /// The head sizes a pretraining run over <paramref name="encoder"/> uses: <paramref name="sizes"/> when given, else
    /// <see cref="ScaledTo"/> the encoder's channels. The one rule of ML.NET's <c>Pretrain</c> and the CLI's
    /// <c>pretrain</c>, so the same method and encoder build the same model in both.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No sizes are given and the encoder has fewer than 16 channels.</exception>
    public static HeadSizes For(ResNetEncoderConfig encoder, HeadSizes? sizes = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return sizes ?? ScaledTo(encoder.Channels);
    }
}

/// <summary>Applying <see cref="HeadSizes"/> to a <see cref="MethodConfig"/>.</summary>
public static class MethodConfigExtensions
{
    /// <summary>A copy of <paramref name="method"/> whose heads have the given sizes (objectives it lacks stay absent).</summary>
    public static MethodConfig WithHeadSizes(this MethodConfig method, HeadSizes sizes)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(sizes);
        return method with
        {
            VicReg = method.VicReg is null ? null : method.VicReg with { ExpanderWidth = sizes.ExpanderWidth },
            Sie = method.Sie is null ? null : method.Sie with { ProjectorWidth = sizes.ProjectorWidth },
            Reconstruction = method.Reconstruction is null ? null : method.Reconstruction with { Decoder = sizes.Decoder },
            AdditionalObjectives = method.AdditionalObjectives?.Select(o => o.WithHeadSizes(sizes)).ToArray(),
        };
    }

    /// <summary>
    /// <paramref name="method"/> with the heads a pretraining run over <paramref name="encoder"/> uses
    /// (<see cref="HeadSizes.For"/>: <paramref name="sizes"/> when given, else scaled to the encoder).
    /// </summary>
    public static MethodConfig SizedFor(this MethodConfig method, ResNetEncoderConfig encoder, HeadSizes? sizes = null)
        => method.WithHeadSizes(HeadSizes.For(encoder, sizes));
}
