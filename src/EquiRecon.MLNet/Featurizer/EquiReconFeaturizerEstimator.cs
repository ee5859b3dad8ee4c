using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// <see cref="IEstimator{TTransformer}"/> for the <see cref="EquiReconFeaturizerTransformer"/>: runs a pretrained
/// EquiRecon encoder (an EquiRecon model file, or the default encoder shipped in the package when none is given) over an
/// image column and adds the invariant and equivariant parts of its pooled representation as float vector columns.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
///
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No (the encoder is pretrained; `Fit` checks the schema and loads it) |
/// | Input column data type | <xref:Microsoft.ML.Transforms.Image.ImageDataViewType> of the model's input size `S × S` (e.g. `ResizeImages(S, S)`), or a known-size vector of <xref:System.Single> with `3 · S · S` values, channels first, RGB, in [0, 255] (`ExtractPixels` with its defaults) |
/// | Output column data type | Known-sized vectors of <xref:System.Single>: `Invariant` (`C_inv`), `Equivariant` (`C_eqv`), optionally `Features` (`C`) |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.ImageAnalytics, EquiRecon.MLNet, and for `Runtime = TorchSharp` (the default) a TorchSharp backend (TorchSharp-cpu or a CUDA one), for `Runtime = OnnxRuntime` Microsoft.ML.OnnxRuntime (or a GPU build) |
/// | Exportable to ONNX | Its encoder: `EquiRecon.Onnx.OnnxExport.ExportEncoder` or `equirecon export --format onnx` (ML.NET's `ConvertToOnnx` of the pipeline: no) |
///
/// The model's normalisation (mean and std of its manifest) is applied inside; do not normalise the pixels before.
/// `Transform` encodes `BatchSize` rows per forward pass (a look-ahead cursor), a `PredictionEngine` one row per pass;
/// their features agree within 1e-5 absolute (bitwise with `BatchSize = 1`). The encoder runs on CUDA device `mlContext.GpuDeviceId` when set (see
/// `FallbackToCpu`), on the CPU otherwise.
///
/// The transformer saves with `mlContext.Model.Save` (the model file's bytes go into the zip) and loads with
/// `mlContext.Model.Load` in a new process with no registration call. It runs the encoder on every pass over the data:
/// put `AppendCacheCheckpoint` after it when a trainer passes over the data several times.
///
/// Create it with `mlContext.Transforms.EquiRecon().FeaturizeImage(...)`; train an encoder inside ML.NET with
/// `mlContext.Transforms.EquiRecon().Pretrain(...)`.
/// ]]>
/// </format>
/// </remarks>
public sealed class EquiReconFeaturizerEstimator : IEstimator<EquiReconFeaturizerTransformer>
{
    private const string RegistrationName = "EquiReconFeaturizerEstimator";

    private readonly IHostEnvironment _env;
    private readonly IHost _host;
    private readonly byte[] _modelBytes;

    /// <summary>Reads and validates the model file of <paramref name="options"/>, or its built-in encoder's, or the default encoder's when it names neither
    /// (manifest and the weights' SHA-256; no tensors are created).</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="ModelFileException">The model file is missing or not a valid EquiRecon model file, or the built-in encoder's package is not referenced.</exception>
    internal EquiReconFeaturizerEstimator(IHostEnvironment env, EquiReconFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _env = env;
        _host = env.Register(RegistrationName);
        Options = options;
        (_modelBytes, Manifest) = EncoderSource.Read(options.ModelFile, options.BuiltInEncoder);
    }

    /// <summary>The settings the estimator was created with.</summary>
    public EquiReconFeaturizerOptions Options { get; }

    /// <summary>The manifest of the model file (method, architecture, input size <c>S</c>, normalisation, provenance).</summary>
    public ModelManifest Manifest { get; }

    /// <summary>
    /// Checks the input schema, loads the encoder on the device the <c>MLContext</c> selects and returns the transformer
    /// (no pass over the data).
    /// </summary>
    /// <param name="input">Data with the input column.</param>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong type or size; the message
    /// names the column and the expected type.</exception>
    /// <exception cref="InvalidOperationException"><c>mlContext.GpuDeviceId</c> is set, CUDA is not available and falling back
    /// to the CPU is not allowed; or the native library of the chosen runtime (libtorch, ONNX Runtime) is missing (the message
    /// names the package to add).</exception>
    /// <exception cref="ModelFileException">The model file's weights do not match the encoder its manifest describes (a
    /// corrupt file is refused when the estimator is created).</exception>
    public EquiReconFeaturizerTransformer Fit(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        FeaturizerInput.Check(_host, input.Schema, Options.InputColumnName, Manifest.InputSize, nameof(input));
        return new EquiReconFeaturizerTransformer(_env, _modelBytes, EncoderSource.SourceName(Options.ModelFile, Options.BuiltInEncoder), Options.InputColumnName, Options.InvariantColumnName,
            Options.EquivariantColumnName, Options.FeaturesColumnName, Options.BatchSize, Options.FallbackToCpu, Options.Runtime, Options.InferenceThreads);
    }

    /// <summary>
    /// The schema after the transformer: the input columns plus the output columns, known-size vectors of
    /// <see cref="float"/> (replacing any input column of the same name).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, or is neither an image of the model's
    /// input size nor a float vector; the message names the column and the expected type. (A schema shape has no vector
    /// sizes: <see cref="Fit"/> checks that a vector has <c>3 · S · S</c> values.)</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        FeaturizerInput.Check(_host, inputSchema, Options.InputColumnName, Manifest.InputSize, nameof(inputSchema));
        return AddOutputs(inputSchema, Options.OutputColumnNames);
    }

    /// <summary><paramref name="inputSchema"/> plus float vector columns named <paramref name="outputs"/>.</summary>
    internal static SchemaShape AddOutputs(SchemaShape inputSchema, IEnumerable<string> outputs)
    {
        var result = inputSchema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        foreach (string name in outputs)
            result[name] = new SchemaShape.Column(name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        return new SchemaShape(result.Values);
    }
}
