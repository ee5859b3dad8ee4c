namespace EquiRecon.TorchSharp.Decoder;

/// <summary>
/// The shape of a <see cref="ReconstructionDecoder"/>: one cross-attention block then <see cref="Depth"/>
/// self-attention blocks of width <see cref="Width"/>, predicting <see cref="Patch"/>×<see cref="Patch"/> pixel
/// patches of a square image of <see cref="ImageSize"/> pixels. Defaults fit 32 px images and a 4×4 token grid.
/// </summary>
/// <param name="Width">Token width <c>E</c> inside the decoder; default 256; divisible by <see cref="Heads"/>.</param>
/// <param name="Heads">Attention heads; default 4.</param>
/// <param name="Depth">Self-attention blocks <c>L</c> after the cross-attention block; default 2 (0 is allowed).</param>
/// <param name="MlpRatio">MLP hidden width over <c>E</c>; default 4.</param>
/// <param name="Patch">Patch side in pixels; default 8 (32 px → 4×4 = 16 patches, one per token).</param>
/// <param name="ImageSize">Side of the reconstructed square image; default 32; divisible by <see cref="Patch"/>.</param>
/// <param name="ImageChannels">Channels of the reconstructed image; default 3 (RGB).</param>
public sealed record ReconstructionDecoderOptions(
    int Width = 256,
    int Heads = 4,
    int Depth = 2,
    double MlpRatio = 4.0,
    int Patch = 8,
    int ImageSize = 32,
    int ImageChannels = 3)
{
    /// <summary>Patches per side, <c>ImageSize / Patch</c>.</summary>
    public int GridSize => ImageSize / Patch;

    /// <summary>Number of patches, <c>(ImageSize / Patch)²</c>; the decoder needs exactly this many tokens.</summary>
    public int Tokens => GridSize * GridSize;

    /// <summary>Values per predicted patch, <c>Patch²·ImageChannels</c>.</summary>
    public int PatchDim => Patch * Patch * ImageChannels;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A size is not positive, the width is not divisible by the heads, or the image side not by the patch side.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 1, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfLessThan(Heads, 1, nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfNegative(Depth, nameof(Depth));
        ArgumentOutOfRangeException.ThrowIfLessThan(Patch, 1, nameof(Patch));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, 1, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageChannels, 1, nameof(ImageChannels));
        if (!double.IsFinite(MlpRatio) || MlpRatio <= 0)
            throw new ArgumentOutOfRangeException(nameof(MlpRatio), MlpRatio, "The MLP ratio must be a positive finite number.");
        if (Width % Heads != 0)
            throw new ArgumentException($"Width ({Width}) must be divisible by Heads ({Heads}).", nameof(Heads));
        if (ImageSize % Patch != 0)
            throw new ArgumentException($"ImageSize ({ImageSize}) must be divisible by Patch ({Patch}).", nameof(Patch));
    }
}
