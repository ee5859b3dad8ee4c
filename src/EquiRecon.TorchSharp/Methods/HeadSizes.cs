using EquiRecon.TorchSharp.Decoder;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// Sizes of the heads a method builds on top of the encoder, for fitting a method to a compute
/// budget (the paper-scale defaults live in each objective's config).
/// </summary>
/// <param name="ExpanderWidth">VICReg expander width (paper scale: 2048 for ResNet-18 on CIFAR).</param>
/// <param name="ProjectorWidth">SIE projector width (paper scale: 1024).</param>
/// <param name="Decoder">Reconstruction decoder width, heads and depth (paper-scale defaults in <see cref="ReconstructionDecoderOptions"/>).</param>
public sealed record HeadSizes(int ExpanderWidth, int ProjectorWidth, ReconstructionDecoderOptions Decoder);

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
        };
    }
}
