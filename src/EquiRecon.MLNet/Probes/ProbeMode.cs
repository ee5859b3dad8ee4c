namespace EquiRecon.MLNet.Probes;

/// <summary>What a <see cref="TransformationProbeTransformer"/> predicts the transformation parameters of.</summary>
public enum ProbeMode
{
    /// <summary>
    /// One image column: the parameters of the image relative to its canonical form (e.g. "how far is this photo
    /// rotated from upright"), predicted from the features of the image alone. Fitting assumes the training images
    /// are canonical (upright, unshifted, …).
    /// </summary>
    RelativeToCanonical,

    /// <summary>
    /// Two image columns: the parameters of the second image relative to the first, predicted from the concatenated
    /// features <c>[f(x), f(y)]</c> (the papers' pairwise protocol).
    /// </summary>
    BetweenColumns,
}
