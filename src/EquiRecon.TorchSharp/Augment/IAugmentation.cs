using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>
/// A batched, parameterized image transformation. Sampling and applying are separate, so the
/// same parameters can be applied again (probes apply a known <c>g</c>) and tests can check that
/// the reported parameters are the ones applied. Images are float <c>(B, 3, H, W)</c> in [0, 1]
/// on any device; no per-image loops.
/// </summary>
public interface IAugmentation
{
    /// <summary>The transformation kind this augmentation reports parameters for.</summary>
    TransformKind Kind { get; }

    /// <summary>Names of the per-sample parameters, in column order (length <c>k</c>).</summary>
    IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Samples per-sample parameters, shape <c>(B, k)</c>, float32, on <paramref name="device"/>.</summary>
    Tensor Sample(int batch, Generator generator, Device device);

    /// <summary>Applies the given parameters <c>(B, k)</c> to images <c>(B, 3, H, W)</c>; returns new images of the same shape.</summary>
    Tensor Apply(Tensor images, Tensor parameters);
}
