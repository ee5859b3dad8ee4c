using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// Settings of <see cref="TransformationProbeEstimator"/>: which frozen encoder, which image column(s), which
/// transformation, and the small MLP head trained to predict the transformation's parameters.
/// </summary>
public sealed record TransformationProbeOptions
{
    /// <summary>Default name of the (first) image column: <c>"Image"</c>.</summary>
    public const string DefaultImageColumnName = "Image";

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
    /// The image column, of the encoder's input size (<c>Image&lt;S, S&gt;</c>, e.g. the output of <c>ResizeImages</c>).
    /// Fitting reads it and treats its images as canonical (upright, unshifted, …). In <see cref="ProbeMode.BetweenColumns"/>
    /// it is the reference image. Default <c>"Image"</c>.
    /// </summary>
    public string ImageColumnName { get; init; } = DefaultImageColumnName;

    /// <summary>
    /// The second image column, required in <see cref="ProbeMode.BetweenColumns"/> (the transformed image whose
    /// parameters relative to <see cref="ImageColumnName"/> are predicted) and ignored otherwise; same size. Default
    /// <see langword="null"/>.
    /// </summary>
    public string? TransformedImageColumnName { get; init; }

    /// <summary>
    /// The output column: a float vector of the kind's parameter count (rotation 1: angle in degrees; translation 2:
    /// dx, dy in pixels; colour 4: brightness, contrast, saturation, hue; blur 1: σ; crop 4: the normalized box; flip 1:
    /// 0 or 1). Default <see langword="null"/>, meaning <c>"&lt;Kind&gt;Parameters"</c>, e.g. <c>"RotationParameters"</c>.
    /// </summary>
    public string? OutputColumnName { get; init; }

    /// <summary>The transformation whose parameters are predicted. Default <see cref="TransformKind.Rotation"/>.</summary>
    public TransformKind Kind { get; init; } = TransformKind.Rotation;

    /// <summary>Which channels of the representation the head reads. Default <see cref="RepresentationPart.Equivariant"/>.</summary>
    public RepresentationPart Part { get; init; } = RepresentationPart.Equivariant;

    /// <summary>One image (relative to canonical) or two image columns. Default <see cref="ProbeMode.RelativeToCanonical"/>.</summary>
    public ProbeMode Mode { get; init; } = ProbeMode.RelativeToCanonical;

    /// <summary>Which encoder output the head reads. Default <see cref="ProbeFeatures.Tokens"/>.</summary>
    public ProbeFeatures Features { get; init; } = ProbeFeatures.Tokens;

    /// <summary>
    /// Which runtime computes the fitted probe's rows: <see cref="InferenceRuntime.TorchSharp"/> or
    /// <see cref="InferenceRuntime.OnnxRuntime"/> (encoder and head exported to ONNX in memory; a saved probe then runs
    /// without libtorch, with <c>Microsoft.ML.OnnxRuntime</c>). Fitting and <c>Evaluate</c> always use TorchSharp; the
    /// probe runs on the CPU with either. Saved with the model. Default <see cref="InferenceRuntime.TorchSharp"/>.
    /// </summary>
    public InferenceRuntime Runtime { get; init; } = InferenceRuntime.TorchSharp;

    /// <summary>
    /// libtorch intra-op threads for fitting: the one embedding pass over the images (all <see cref="SamplesPerImage"/>
    /// transformations of each, batched) and the head's training steps on those cached embeddings. Set on the thread that
    /// calls <c>Fit</c> and restored after it. Default 1, as the featurizer's <c>InferenceThreads</c>: on a busy 2-core
    /// machine libtorch's default (one thread per core) made the fit about 5× slower (docs/benchmarks.md, "Fitting a
    /// transformation probe"); <see langword="null"/> leaves libtorch's own setting. Must be at least 1.
    /// </summary>
    public int? InferenceThreads { get; init; } = Featurizer.EquiReconFeaturizerOptions.DefaultInferenceThreads;

    /// <summary>Width of the head's two hidden layers. Default 256.</summary>
    public int HiddenWidth { get; init; } = 256;

    /// <summary>Passes over the training samples. Default 100.</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Samples per optimisation step. Default 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Adam learning rate. Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Random transformations drawn per training image (more samples, longer fit). Default 4.</summary>
    public int SamplesPerImage { get; init; } = 4;

    /// <summary>Seed of the random transformations, the head's initial weights and the shuffling. Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>The output column name in effect: <see cref="OutputColumnName"/> or <c>"&lt;Kind&gt;Parameters"</c>.</summary>
    public string ResolvedOutputColumnName => OutputColumnName ?? DefaultOutputColumnName(Kind);

    /// <summary>The default output column of <paramref name="kind"/>: <c>"&lt;Kind&gt;Parameters"</c>, e.g. <c>"RotationParameters"</c>.</summary>
    public static string DefaultOutputColumnName(TransformKind kind) => kind + "Parameters";

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the exception's parameter name is the option's name.</exception>
    internal void Validate()
    {
        EncoderSource.Validate(ModelFile, BuiltInEncoder, nameof(ModelFile), nameof(BuiltInEncoder));
        if (string.IsNullOrWhiteSpace(ImageColumnName))
            throw new ArgumentException("The image column name must not be empty.", nameof(ImageColumnName));
        if (OutputColumnName is not null && string.IsNullOrWhiteSpace(OutputColumnName))
            throw new ArgumentException("The output column name must not be empty (null means the default).", nameof(OutputColumnName));
        if (!Enum.IsDefined(Kind))
            throw new ArgumentException($"Unknown transform kind {Kind}.", nameof(Kind));
        if (!Enum.IsDefined(Part))
            throw new ArgumentException($"Unknown representation part {Part}.", nameof(Part));
        if (!Enum.IsDefined(Features))
            throw new ArgumentException($"Unknown probe features {Features}.", nameof(Features));
        if (!Enum.IsDefined(Mode))
            throw new ArgumentException($"Unknown probe mode {Mode}.", nameof(Mode));
        if (!Enum.IsDefined(Runtime))
            throw new ArgumentException($"{nameof(Runtime)} is {(int)Runtime}, which is no inference runtime; choose {string.Join(" or ", Enum.GetNames<InferenceRuntime>())}.", nameof(Runtime));
        if (Mode == ProbeMode.BetweenColumns)
        {
            if (string.IsNullOrWhiteSpace(TransformedImageColumnName))
                throw new ArgumentException("BetweenColumns needs the second image column: set TransformedImageColumnName.", nameof(TransformedImageColumnName));
            if (string.Equals(TransformedImageColumnName, ImageColumnName, StringComparison.Ordinal))
                throw new ArgumentException($"TransformedImageColumnName must differ from ImageColumnName ('{ImageColumnName}').", nameof(TransformedImageColumnName));
        }

        Featurizer.EquiReconFeaturizerOptions.ValidateInferenceThreads(InferenceThreads);
        ArgumentOutOfRangeException.ThrowIfLessThan(HiddenWidth, 1, nameof(HiddenWidth));
        ArgumentOutOfRangeException.ThrowIfLessThan(Epochs, 1, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(SamplesPerImage, 1, nameof(SamplesPerImage));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
    }
}
