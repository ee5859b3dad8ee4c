using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// Self-supervised samples of the probe: random transformations g of one kind (the default ranges of
/// <see cref="AugmentationPipeline.Default"/> at the encoder's size) applied to canonical images x with known
/// parameters, and the probe's input features: <c>f(g(x))</c> (relative to canonical) or <c>[f(x), f(g(x))]</c>
/// (between columns).
/// </summary>
internal static class ProbeSamples
{
    private const int Chunk = 128;

    /// <summary>
    /// Features <c>(R·N, d or 2d)</c> and parameters <c>(R·N, k)</c> for <paramref name="samplesPerImage"/> = R random
    /// transformations of each of the N images <c>(N, 3, S, S)</c>; the transformations are drawn from a generator seeded
    /// with <paramref name="seed"/>.
    /// </summary>
    public static (Tensor Features, Tensor Parameters) Make(ProbeFeatureExtractor extractor, Tensor images, TransformKind kind,
        ProbeMode mode, int samplesPerImage, long seed)
    {
        using var scope = NewDisposeScope();
        var augment = AugmentationPipeline.Default(checked((int)images.shape[2]), kind);
        using var generator = new Generator(unchecked((ulong)seed));
        var features = new List<Tensor>();
        var parameters = new List<Tensor>();
        for (int r = 0; r < samplesPerImage; r++)
        {
            var samples = BatchedEncoding.Map(images.shape[0], Chunk, (start, n) =>
            {
                var x = images.narrow(0, start, n);
                using var transformed = augment.Apply(x, generator);
                var fgx = extractor.Extract(transformed.Images);
                return [mode == ProbeMode.BetweenColumns ? cat([extractor.Extract(x), fgx], 1) : fgx, transformed.ParametersOf(kind).clone()];
            });
            features.Add(samples[0]);
            parameters.Add(samples[1]);
        }

        return (cat(features, 0).MoveToOuterDisposeScope(), cat(parameters, 0).MoveToOuterDisposeScope());
    }

    /// <summary>Number of parameters <c>k</c> the default augmentation of <paramref name="kind"/> reports.</summary>
    public static int ParameterCount(TransformKind kind, int imageSize) => TransformKinds.ParameterCount(kind, imageSize);

    /// <summary>Names of the parameters of <paramref name="kind"/>, in output order.</summary>
    public static IReadOnlyList<string> ParameterNames(TransformKind kind, int imageSize) => TransformKinds.ParameterNames(kind, imageSize);
}
