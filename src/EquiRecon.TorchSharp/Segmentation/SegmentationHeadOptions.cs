using System.Globalization;

namespace EquiRecon.TorchSharp.Segmentation;

/// <summary>
/// The shape of a <see cref="SegmentationHead"/>: a light per-pixel classifier on a frozen encoder's feature map.
/// </summary>
/// <param name="Channels">Channels <c>C</c> of the encoder's feature map (its tokens), at least 1.</param>
/// <param name="Classes">Number of classes <c>K</c>, at least 2. Default 2.</param>
/// <param name="Hidden">
/// Width of the hidden convolutions, at least 1. Default 32.
/// </param>
/// <param name="ImageSkip">
/// When true (default), the upsampled hidden features are concatenated with the normalized input image and refined at
/// full resolution by a 3×3 convolution before the classifier, which recovers boundaries finer than the encoder's
/// stride (a one-level U-Net skip). When false the head is 1×1 convolutions on the feature map followed by bilinear
/// upsampling of the logits, so its output is as coarse as the token grid.
/// </param>
/// <param name="EncoderScale">
/// Integer factor by which images are upsampled (bilinear) before the encoder, at least 1. Default 1. The encoder's
/// stride (8 for the CIFAR stem with four stages) divided by this factor is the spacing of the feature map in image
/// pixels: 2 gives features every 4 px, at four times the encoder's cost. The head itself does not use it;
/// <see cref="SegmentationTrainer"/> does, for training and prediction.
/// </param>
public sealed record SegmentationHeadOptions(int Channels, int Classes = 2, int Hidden = 32, bool ImageSkip = true, int EncoderScale = 1)
{
    /// <summary>Throws when a size is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is out of range; the message names it.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Channels, 1, nameof(Channels));
        ArgumentOutOfRangeException.ThrowIfLessThan(Classes, 2, nameof(Classes));
        ArgumentOutOfRangeException.ThrowIfLessThan(Hidden, 1, nameof(Hidden));
        ArgumentOutOfRangeException.ThrowIfLessThan(EncoderScale, 1, nameof(EncoderScale));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(EncoderScale, 8, nameof(EncoderScale));
    }

    /// <summary>A short description, e.g. <c>C=64, K=2, hidden=32, image skip, encoder scale 1</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"C={Channels}, K={Classes}, hidden={Hidden}, {(ImageSkip ? "image skip" : "no image skip")}, encoder scale {EncoderScale}");
}
