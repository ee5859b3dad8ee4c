using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.MLNet.Segmentation;

/// <summary>
/// Settings of <see cref="EquiReconSegmentationEstimator"/>: which frozen encoder, the image and mask columns, how mask
/// pixels map to classes, and the light head trained on the encoder's token map.
/// </summary>
public sealed record EquiReconSegmentationOptions
{
    /// <summary>Default image column: <c>"Image"</c>.</summary>
    public const string DefaultImageColumnName = "Image";

    /// <summary>Default mask column: <c>"Mask"</c>.</summary>
    public const string DefaultMaskColumnName = "Mask";

    /// <summary>Default output column: <c>"SegmentationMap"</c>.</summary>
    public const string DefaultOutputColumnName = "SegmentationMap";

    /// <summary>
    /// Path of an EquiRecon model file (<c>EquiRecon.TorchSharp.IO.ModelFile</c>). Its bytes are copied into the fitted
    /// transformer, so the saved ML.NET model does not need the file. Default <see langword="null"/>: the built-in encoder
    /// <see cref="BuiltInEncoder"/> names, else the default encoder shipped in the package
    /// (<c>EquiRecon.TorchSharp.IO.DefaultEncoder</c>, a small CIFAR-10 encoder for 32 × 32 images).
    /// </summary>
    public string? ModelFile { get; init; }

    /// <summary>
    /// Which built-in encoder to use when no model file is given: <see cref="EquiRecon.TorchSharp.IO.BuiltInEncoder.SmallCifar"/>
    /// (embedded in EquiRecon.TorchSharp, 32 × 32 input, 128 + 128 channels) or
    /// <see cref="EquiRecon.TorchSharp.IO.BuiltInEncoder.NaturalImage"/> (for photos, 128 × 128 input, 256 + 256 channels; needs
    /// the NuGet package <c>EquiRecon.Models.NaturalImage</c> in the application, otherwise creating the estimator throws
    /// a <c>ModelFileException</c> that says so). Its model file is embedded in the ML.NET model zip on save like any other,
    /// so loading a saved model does not need the package. Setting it together with <see cref="ModelFile"/> is an error
    /// (<see cref="ArgumentException"/>). Default <see langword="null"/>: <see cref="EquiRecon.TorchSharp.IO.BuiltInEncoder.SmallCifar"/>
    /// when <see cref="ModelFile"/> is null.
    /// </summary>
    public BuiltInEncoder? BuiltInEncoder { get; init; }

    /// <summary>
    /// The image column: an image of known size <c>H × W</c> (e.g. 64 × 64 tiles; any size, the encoder is fully
    /// convolutional). Default <c>"Image"</c>.
    /// </summary>
    public string ImageColumnName { get; init; } = DefaultImageColumnName;

    /// <summary>
    /// The mask column, read only when fitting: an image of the same size, greyscale or colour, whose pixels map to classes
    /// through <see cref="MaskToClass"/>. Default <c>"Mask"</c>.
    /// </summary>
    public string MaskColumnName { get; init; } = DefaultMaskColumnName;

    /// <summary>
    /// The output column: a float vector of <c>H · W</c> values, the predicted class index of every pixel in row-major
    /// order (pixel <c>(y, x)</c> at <c>y · W + x</c>). Default <c>"SegmentationMap"</c>.
    /// </summary>
    public string OutputColumnName { get; init; } = DefaultOutputColumnName;

    /// <summary>
    /// How mask pixels map to classes; its <see cref="Segmentation.MaskToClass.Classes"/> is the number of classes.
    /// Default <see cref="Segmentation.MaskToClass.Threshold(byte)"/> at 128 (2 classes: grey &lt; 128 → 0, ≥ 128 → 1).
    /// </summary>
    public MaskToClass MaskToClass { get; init; } = MaskToClass.Threshold();

    /// <summary>Passes over the training images. Default 20.</summary>
    public int Epochs { get; init; } = 20;

    /// <summary>Adam learning rate. Default 3e-3.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Images per optimisation step. Default 16.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Width of the head's hidden convolutions. Default 16.</summary>
    public int HiddenWidth { get; init; } = 16;

    /// <summary>
    /// When true (default), the head refines the upsampled features at full resolution together with the image (a 3×3
    /// convolution, a one-level U-Net skip), which recovers boundaries finer than the encoder's stride. When false the
    /// output is the token-grid logits upsampled bilinearly (as coarse as the encoder's stride, 8 px for the CIFAR stem).
    /// </summary>
    public bool ImageSkip { get; init; } = true;

    /// <summary>
    /// Integer factor (1 to 8) by which images are upsampled before the encoder: 2 halves the feature spacing (4 px
    /// instead of 8 for the CIFAR stem) at four times the encoder's cost. Default 1.
    /// </summary>
    public int EncoderScale { get; init; } = 1;

    /// <summary>
    /// When true (default), the cross-entropy weighs classes by inverse pixel frequency, which keeps thin minority classes
    /// (membranes, edges) from being ignored and raises mean IoU at some cost in pixel accuracy.
    /// </summary>
    public bool BalanceClasses { get; init; } = true;

    /// <summary>Seed of the head's initial weights and the shuffling. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the exception's parameter name is the option's name.</exception>
    internal void Validate()
    {
        EncoderSource.Validate(ModelFile, BuiltInEncoder, nameof(ModelFile), nameof(BuiltInEncoder));
        if (string.IsNullOrWhiteSpace(ImageColumnName))
            throw new ArgumentException("The image column name must not be empty.", nameof(ImageColumnName));
        if (string.IsNullOrWhiteSpace(MaskColumnName))
            throw new ArgumentException("The mask column name must not be empty.", nameof(MaskColumnName));
        if (string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("The output column name must not be empty.", nameof(OutputColumnName));
        if (string.Equals(MaskColumnName, ImageColumnName, StringComparison.Ordinal))
            throw new ArgumentException($"The mask column must differ from the image column ('{ImageColumnName}').", nameof(MaskColumnName));
        if (MaskToClass is null)
            throw new ArgumentException("A mask-to-class mapping is required.", nameof(MaskToClass));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(HiddenWidth, 1, nameof(HiddenWidth));
        ArgumentOutOfRangeException.ThrowIfLessThan(EncoderScale, 1, nameof(EncoderScale));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(EncoderScale, 8, nameof(EncoderScale));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
    }
}
