using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.MLNet;

// Transformation probes and segmentation adapters on frozen encoders.
public sealed partial class EquiReconCatalog
{
    /// <summary>
    /// Trains a small head on a frozen EquiRecon encoder that predicts the parameters of a transformation of
    /// <paramref name="kind"/>, self-supervised from unlabelled canonical images: by default "how far is this image
    /// rotated from upright" (angle in degrees). With <paramref name="transformedImageColumnName"/> it predicts the
    /// parameters of that column's image relative to <paramref name="imageColumnName"/>'s instead
    /// (<see cref="ProbeMode.BetweenColumns"/>).
    /// </summary>
    /// <param name="modelFile">The EquiRecon model file (copied into the fitted transformer). Default <see langword="null"/>: the
    /// encoder <paramref name="builtInEncoder"/> names, else the default encoder shipped in the package (a small CIFAR-10 encoder, 32 × 32 input).</param>
    /// <param name="kind">The transformation. Default <see cref="TransformKind.Rotation"/>.</param>
    /// <param name="outputColumnName">The float vector column to add; null (default) for <c>"&lt;Kind&gt;Parameters"</c>.</param>
    /// <param name="imageColumnName">The image column, of the encoder's input size; its images are taken as canonical when fitting. Default <c>"Image"</c>.</param>
    /// <param name="transformedImageColumnName">The second image column (switches to <see cref="ProbeMode.BetweenColumns"/>); null (default) for one column.</param>
    /// <param name="builtInEncoder">The built-in encoder to use instead of a model file: <see cref="BuiltInEncoder.SmallCifar"/> or
    /// <see cref="BuiltInEncoder.NaturalImage"/> (128 × 128 photos; needs the <c>EquiRecon.Models.NaturalImage</c> package).
    /// Default <see langword="null"/>: the default encoder, <see cref="BuiltInEncoder.SmallCifar"/>. Not together with <paramref name="modelFile"/>.</param>
    /// <param name="runtime">Which runtime computes the fitted probe's rows: <see cref="InferenceRuntime.TorchSharp"/> or
    /// <see cref="InferenceRuntime.OnnxRuntime"/> (then a saved probe runs without libtorch). Fitting always uses TorchSharp.
    /// Default <see cref="InferenceRuntime.TorchSharp"/>.</param>
    /// <returns>The estimator; see <see cref="TransformationProbeOptions"/> for the other defaults.</returns>
    /// <exception cref="ArgumentException">A name is empty, or both <paramref name="modelFile"/> and <paramref name="builtInEncoder"/> are given.</exception>
    /// <exception cref="EquiRecon.TorchSharp.IO.ModelFileException">The model file is missing or invalid, or the built-in encoder's package is not referenced.</exception>
    /// <example>
    /// <code>
    /// var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath")
    ///     .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    ///     .Append(mlContext.Transforms.EquiRecon().TransformationProbe("encoder.equirecon"));
    /// var model = pipeline.Fit(uprightImages);   // adds "RotationParameters": the angle in degrees
    /// </code>
    /// </example>
    public TransformationProbeEstimator TransformationProbe(
        string? modelFile = null,
        TransformKind kind = TransformKind.Rotation,
        string? outputColumnName = null,
        string imageColumnName = TransformationProbeOptions.DefaultImageColumnName,
        string? transformedImageColumnName = null,
        BuiltInEncoder? builtInEncoder = null,
        InferenceRuntime runtime = InferenceRuntime.TorchSharp)
        => TransformationProbe(new TransformationProbeOptions
        {
            ModelFile = modelFile,
            BuiltInEncoder = builtInEncoder,
            Runtime = runtime,
            Kind = kind,
            OutputColumnName = outputColumnName,
            ImageColumnName = imageColumnName,
            TransformedImageColumnName = transformedImageColumnName,
            Mode = transformedImageColumnName is null ? ProbeMode.RelativeToCanonical : ProbeMode.BetweenColumns,
        });

    /// <summary>
    /// Trains a small head on a frozen EquiRecon encoder that predicts the parameters of a transformation, with the
    /// settings of <paramref name="options"/>.
    /// </summary>
    /// <param name="options">Model file, columns, kind, part, mode, features and head training; see <see cref="TransformationProbeOptions"/>.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentException">An option is invalid (the parameter name is the option's), e.g. both a model file and a built-in encoder.</exception>
    /// <exception cref="EquiRecon.TorchSharp.IO.ModelFileException">The model file is missing or invalid, or the built-in encoder's package is not referenced.</exception>
    public TransformationProbeEstimator TransformationProbe(TransformationProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TransformationProbeEstimator(_env, options);
    }

    /// <summary>
    /// Trains a light segmentation head on the token map of a frozen EquiRecon encoder from images and masks; the
    /// transformer adds a float vector of <c>H · W</c> class indices (row-major). Masks map to 2 classes at grey level
    /// 128 (below → 0, at or above → 1); see <see cref="EquiReconSegmentationOptions"/> for other mappings and the defaults.
    /// </summary>
    /// <param name="modelFile">The EquiRecon model file (copied into the fitted transformer). Default <see langword="null"/>: the
    /// encoder <paramref name="builtInEncoder"/> names, else the default encoder shipped in the package (a small CIFAR-10 encoder, 32 × 32 input).</param>
    /// <param name="maskColumnName">The mask column (an image of the same size, read only when fitting). Default <c>"Mask"</c>.</param>
    /// <param name="outputColumnName">The class-map column to add. Default <c>"SegmentationMap"</c>.</param>
    /// <param name="imageColumnName">The image column, of known size (e.g. 64 × 64 tiles). Default <c>"Image"</c>.</param>
    /// <param name="builtInEncoder">The built-in encoder to use instead of a model file: <see cref="BuiltInEncoder.SmallCifar"/> or
    /// <see cref="BuiltInEncoder.NaturalImage"/> (128 × 128 photos; needs the <c>EquiRecon.Models.NaturalImage</c> package).
    /// Default <see langword="null"/>: the default encoder, <see cref="BuiltInEncoder.SmallCifar"/>. Not together with <paramref name="modelFile"/>.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentException">A name is empty, the mask and image columns are the same, or both <paramref name="modelFile"/>
    /// and <paramref name="builtInEncoder"/> are given.</exception>
    /// <exception cref="EquiRecon.TorchSharp.IO.ModelFileException">The model file is missing or invalid, or the built-in encoder's package is not referenced.</exception>
    /// <example>
    /// <code>
    /// var model = mlContext.Transforms.EquiRecon().Segmentation("encoder.equirecon", maskColumnName: "Mask").Fit(tiles);
    /// var metrics = SegmentationMetrics.Evaluate(model.Transform(heldOutTiles), "Mask");
    /// </code>
    /// </example>
    public EquiReconSegmentationEstimator Segmentation(
        string? modelFile = null,
        string maskColumnName = EquiReconSegmentationOptions.DefaultMaskColumnName,
        string outputColumnName = EquiReconSegmentationOptions.DefaultOutputColumnName,
        string imageColumnName = EquiReconSegmentationOptions.DefaultImageColumnName,
        BuiltInEncoder? builtInEncoder = null)
        => Segmentation(new EquiReconSegmentationOptions
        {
            ModelFile = modelFile,
            BuiltInEncoder = builtInEncoder,
            MaskColumnName = maskColumnName,
            OutputColumnName = outputColumnName,
            ImageColumnName = imageColumnName,
        });

    /// <summary>
    /// Trains a light segmentation head on the token map of a frozen EquiRecon encoder, with the settings of
    /// <paramref name="options"/>.
    /// </summary>
    /// <param name="options">Model file, columns, mask-to-class mapping and head training; see <see cref="EquiReconSegmentationOptions"/>.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="ArgumentException">An option is invalid (the parameter name is the option's), e.g. both a model file and a built-in encoder.</exception>
    /// <exception cref="EquiRecon.TorchSharp.IO.ModelFileException">The model file is missing or invalid, or the built-in encoder's package is not referenced.</exception>
    public EquiReconSegmentationEstimator Segmentation(EquiReconSegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EquiReconSegmentationEstimator(_env, options);
    }
}
