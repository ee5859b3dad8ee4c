using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// <see cref="IEstimator{TTransformer}"/> for the <see cref="TransformationProbeTransformer"/>: trains a small MLP head on
/// a FROZEN EquiRecon encoder to predict the parameters of one transformation kind (rotation angle, translation,
/// colour jitter, blur σ, crop box, flip), self-supervised from unlabelled images.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
///
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | Yes (it trains the head; the encoder stays frozen) |
/// | Input column data type | <xref:Microsoft.ML.Transforms.Image.ImageDataViewType> of the encoder's input size `S × S` (one column, or two in `BetweenColumns` mode) |
/// | Output column data type | Known-sized vector of <xref:System.Single>: the kind's parameters (rotation 1, translation 2, colour 4, blur 1, crop 4, flip 1) |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.ImageAnalytics, EquiRecon.MLNet, a TorchSharp backend (e.g. TorchSharp-cpu) |
/// | Exportable to ONNX | No |
///
/// Fitting reads the images of the image column, treats them as canonical (upright, unshifted, unblurred, …), draws
/// `SamplesPerImage` random transformations of the chosen kind with known parameters (the default ranges of
/// `AugmentationPipeline.Default`: rotation ±45°, translation ±max(1, round(10·S/224)) px, …), encodes them with the
/// frozen encoder and trains the head (MLP `d → hidden → hidden → k`, Adam on MSE, inputs and targets standardised) to
/// predict the parameters: from the features of `g(x)` alone (`RelativeToCanonical`) or from `[f(x), f(g(x))]`
/// (`BetweenColumns`). Features are the chosen representation part of the token map (default) or of the pooled
/// representation (the papers' protocol). Score a fitted probe on held-out images with
/// `TransformationProbeTransformer.Evaluate`.
///
/// The transformer embeds the encoder's model file and the head's weights, saves with `mlContext.Model.Save` and loads
/// with `mlContext.Model.Load` in a new process without the model file. Training and inference run on the CPU.
///
/// Create it with `mlContext.Transforms.EquiRecon().TransformationProbe(...)`.
/// ]]>
/// </format>
/// </remarks>
public sealed class TransformationProbeEstimator : IEstimator<TransformationProbeTransformer>
{
    private const string RegistrationName = "EquiReconTransformationProbeEstimator";

    private readonly IHost _host;
    private readonly TransformationProbeOptions _options;

    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="ModelFileException">The model file is missing or invalid (its manifest is read here).</exception>
    internal TransformationProbeEstimator(IHostEnvironment env, TransformationProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _host = env.Register(RegistrationName);
        _options = options;
        var manifest = EncoderSource.ReadManifest(options.ModelFile, options.BuiltInEncoder);
        ImageSize = manifest.InputSize;
        OutputSize = ProbeSamples.ParameterCount(options.Kind, ImageSize);
    }

    /// <summary>The settings the estimator was created with.</summary>
    public TransformationProbeOptions Options => _options;

    /// <summary>Side <c>S</c> of the square images the encoder takes (from its model file).</summary>
    public int ImageSize { get; }

    /// <summary>Length of the output vector: the number of parameters of <see cref="TransformationProbeOptions.Kind"/>.</summary>
    public int OutputSize { get; }

    /// <summary>
    /// Reads the canonical images, trains the head on random transformations of them and returns the transformer.
    /// </summary>
    /// <param name="input">Data with the image column(s) of size <c>S × S</c>; at least 2 non-missing images in the image column.</param>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or is not an image of size <c>S × S</c>;
    /// the message names the column and the expected type.</exception>
    /// <exception cref="InvalidOperationException">Fewer than 2 images, or an image of another size than the schema says.</exception>
    public TransformationProbeTransformer Fit(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var image = ImageColumnChecks.Check(_host, nameof(input), input.Schema, "image", _options.ImageColumnName, ImageSize, ImageSize);
        if (_options.Mode == ProbeMode.BetweenColumns)
            ImageColumnChecks.Check(_host, nameof(input), input.Schema, "transformed image", _options.TransformedImageColumnName!, ImageSize, ImageSize);

        var encoder = EmbeddedEncoder.FromFileOrBuiltIn(_options.ModelFile, _options.BuiltInEncoder);
        try
        {
            if (encoder.Encoder.InputSize != ImageSize)
                throw new InvalidOperationException($"The {EncoderSource.Describe(_options.ModelFile, _options.BuiltInEncoder)} changed since the estimator was created (input size {encoder.Encoder.InputSize}, was {ImageSize}).");
            RegressionProbeModel head;
            using (Runtime.TorchThreads.Use(_options.InferenceThreads))
            using (var scope = NewDisposeScope())
            {
                var images = ImageTensorReader.ReadImages(input, image, ImageSize, ImageSize);
                if (images.shape[0] < 2)
                    throw new InvalidOperationException($"Fitting a transformation probe needs at least 2 images in column '{_options.ImageColumnName}'; found {images.shape[0]}.");
                var extractor = new ProbeFeatureExtractor(encoder.Encoder, _options.Part, _options.Features);
                var (features, parameters) = ProbeSamples.Make(extractor, images, _options.Kind, _options.Mode, _options.SamplesPerImage, _options.Seed);
                head = RegressionProbeTrainer.Fit(features, parameters, new ProbeOptions
                {
                    Hidden = _options.HiddenWidth,
                    Epochs = _options.Epochs,
                    BatchSize = _options.BatchSize,
                    LearningRate = _options.LearningRate,
                    Seed = _options.Seed,
                });
            }

            return new TransformationProbeTransformer(_host, _options, encoder, head);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The schema after the transformer: the input columns plus the output column, a known-size vector of
    /// <see cref="float"/> (replacing any input column of the same name).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An input column is missing or is not an image of size <c>S × S</c>;
    /// the message names the column and the expected type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        ImageColumnChecks.Check(_host, nameof(inputSchema), inputSchema, "image", _options.ImageColumnName, ImageSize, ImageSize);
        if (_options.Mode == ProbeMode.BetweenColumns)
            ImageColumnChecks.Check(_host, nameof(inputSchema), inputSchema, "transformed image", _options.TransformedImageColumnName!, ImageSize, ImageSize);

        var result = inputSchema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        string output = _options.ResolvedOutputColumnName;
        result[output] = new SchemaShape.Column(output, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        return new SchemaShape(result.Values);
    }
}
