using System.Globalization;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The bounds a model file's manifest and entries must keep (the one home of these limits; docs/model-file.md lists them).
/// They are checked before anything the manifest sizes is allocated, so a damaged or hostile file cannot make a reader
/// inflate or allocate without bound.
/// </summary>
internal static class ModelFileLimits
{
    /// <summary>Largest <c>manifest.json</c> entry read (1 MiB).</summary>
    public const long MaxManifestBytes = 1 << 20;

    /// <summary>Largest <c>integrity.sha256</c> entry read.</summary>
    public const long MaxIntegrityBytes = 256;

    /// <summary>Largest <c>encoder.bin</c> (1 GiB); the entry must also be exactly the size its manifest's encoder needs.</summary>
    public const long MaxWeightsBytes = 1L << 30;

    /// <summary>Smallest input image side.</summary>
    public const int MinInputSize = 8;

    /// <summary>Largest input image side (also of the encoder's input offset).</summary>
    public const int MaxInputSize = 4096;

    /// <summary>Most stages of an encoder.</summary>
    public const int MaxStages = 8;

    /// <summary>Widest stage.</summary>
    public const int MaxWidth = 4096;

    /// <summary>Most basic blocks in one stage.</summary>
    public const int MaxBlocksPerStage = 64;

    /// <summary>Longest free-text field (the library version).</summary>
    public const int MaxTextLength = 64;

    /// <summary>Most provenance entries.</summary>
    public const int MaxProvenanceEntries = 256;

    /// <summary>
    /// Smallest standard deviation of a channel (in [0, 1] pixel units). Below it one 8-bit pixel step (1/255) would be more
    /// than 4 units of normalised input: the channel is effectively constant, and tinier, zero or subnormal values make the
    /// encoder's input huge or infinite.
    /// </summary>
    public const float MinStd = 1e-3f;

    /// <summary>Largest standard deviation of a channel: above it normalised inputs shrink below a thousandth of the pixels' range.</summary>
    public const float MaxStd = 1e3f;

    /// <summary>Largest magnitude of a channel's mean (in [0, 1] pixel units); with <see cref="MinStd"/> it keeps normalised inputs within about ±10⁶.</summary>
    public const float MaxAbsMean = 1e3f;

    /// <summary>
    /// The one rule for the per-channel means a model file stores (and a pretraining run will store): 3 values, finite and
    /// within ±<see cref="MaxAbsMean"/>.
    /// </summary>
    /// <returns><see langword="null"/> when they are acceptable, else the reason, naming the field and the value (e.g. <c>mean[1] = NaN …</c>).</returns>
    public static string? MeanProblem(IReadOnlyList<float>? mean)
    {
        if (mean is not { Count: 3 })
            return $"mean needs 3 values (R, G, B), got {Count(mean)}";
        for (int c = 0; c < 3; c++)
        {
            if (!float.IsFinite(mean[c]) || Math.Abs(mean[c]) > MaxAbsMean)
                return $"mean[{c}] = {Format(mean[c])} is not a finite value within ±{Format(MaxAbsMean)}";
        }
        return null;
    }

    /// <summary>
    /// The one rule for the per-channel standard deviations a model file stores (and a pretraining run will store): 3 values,
    /// each in [<see cref="MinStd"/>, <see cref="MaxStd"/>] (so neither zero, subnormal, tiny, huge nor non-finite).
    /// </summary>
    /// <returns><see langword="null"/> when they are acceptable, else the reason, naming the field and the value (e.g. <c>std[1] = 1E-30 is outside [0.001, 1000] …</c>).</returns>
    public static string? StdProblem(IReadOnlyList<float>? std)
    {
        if (std is not { Count: 3 })
            return $"std needs 3 values (R, G, B), got {Count(std)}";
        for (int c = 0; c < 3; c++)
        {
            // Written so that NaN fails it too.
            if (!(std[c] >= MinStd && std[c] <= MaxStd))
                return $"std[{c}] = {Format(std[c])} is outside [{Format(MinStd)}, {Format(MaxStd)}] (a zero, subnormal, tiny, huge or non-finite standard deviation makes the encoder's input degenerate)";
        }
        return null;
    }

    private static string Count(IReadOnlyList<float>? values) =>
        values is null ? "none" : values.Count.ToString(CultureInfo.InvariantCulture);

    private static string Format(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
