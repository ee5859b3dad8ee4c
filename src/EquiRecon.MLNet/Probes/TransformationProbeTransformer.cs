using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Persistence;
using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

// Loaders ML.NET finds by LoaderSignature when it reads a zip (it loads this assembly by the name the zip records).
[assembly: LoadableClass(typeof(TransformationProbeTransformer), null, typeof(SignatureLoadModel),
    TransformationProbeTransformer.UserName, TransformationProbeTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(TransformationProbeTransformer), null, typeof(SignatureLoadRowMapper),
    TransformationProbeTransformer.UserName, TransformationProbeTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IDataTransform), typeof(TransformationProbeTransformer), null, typeof(SignatureLoadDataTransform),
    TransformationProbeTransformer.UserName, TransformationProbeTransformer.LoaderSignature)]

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// <see cref="ITransformer"/> resulting from fitting a <see cref="TransformationProbeEstimator"/>: a frozen EquiRecon
/// encoder and a small MLP head that predicts the parameters of one transformation kind, as a float vector column
/// (e.g. <c>RotationParameters</c>, one value: the angle in degrees, counter-clockwise as displayed).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ProbeMode.RelativeToCanonical"/> reads one image column and predicts how the image is transformed
/// relative to its canonical form; <see cref="ProbeMode.BetweenColumns"/> reads two and predicts the parameters of the
/// second relative to the first. A row with a missing image gives NaN values.
/// </para>
/// <para>
/// Self-contained: the encoder's model file and the head's weights are stored inside the ML.NET zip, so
/// <c>mlContext.Model.Load</c> restores it in any process with no registration call and without the model file.
/// Rows are computed one at a time on the CPU (a batched transform and a <c>PredictionEngine</c> give the same values);
/// concurrent cursors share the model behind a lock. With <see cref="Runtime"/> <see cref="InferenceRuntime.OnnxRuntime"/>
/// (saved with the model) the encoder and the head are exported to ONNX in memory and rows run in ONNX Runtime without
/// the lock and without libtorch; fitting and <see cref="Evaluate"/> still need TorchSharp. The transformer is deliberately not <see cref="IDisposable"/>: ML.NET disposes a transformer together with a <c>PredictionEngine</c> made from it, which would break every other engine; its native tensors are released by the garbage collector.
/// </para>
/// </remarks>
public sealed class TransformationProbeTransformer : RowToRowTransformerBase
{
    internal const string UserName = "EquiRecon Transformation Probe";
    internal const string LoaderSignature = "EquiReconTransformProbe";
    private const string RegistrationName = "EquiReconTransformationProbe";
    private const string HeadStream = "ProbeHead";

    private readonly byte[] _encoderBytes;
    private readonly byte[] _headBytes;
    private readonly OnnxProbe? _onnx;
    private readonly Lock _gate = new();

    // The TorchSharp parts: loaded at creation with Runtime = TorchSharp, on the first Evaluate with OnnxRuntime.
    private EmbeddedEncoder? _encoder;
    private RegressionProbeModel? _head;
    private ProbeFeatureExtractor? _extractor;

    /// <summary>Wraps a fitted head; takes ownership of <paramref name="encoder"/> and <paramref name="head"/>.</summary>
    internal TransformationProbeTransformer(IHostEnvironment env, TransformationProbeOptions options, EmbeddedEncoder encoder, RegressionProbeModel head)
        : base(RegisterHost(env))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(head);
        Mode = options.Mode;
        Kind = options.Kind;
        Part = options.Part;
        Features = options.Features;
        ImageColumnName = options.ImageColumnName;
        TransformedImageColumnName = options.Mode == ProbeMode.BetweenColumns ? options.TransformedImageColumnName : null;
        OutputColumnName = options.ResolvedOutputColumnName;
        ImageSize = encoder.Encoder.InputSize;
        OutputSize = ProbeSamples.ParameterCount(Kind, ImageSize);
        Runtime = options.Runtime;
        _encoderBytes = encoder.ModelFileBytes;
        _headBytes = head.ToBytes();
        _encoder = encoder;
        _head = head;
        _extractor = new ProbeFeatureExtractor(encoder.Encoder, Part, Features);
        CheckHead();
        if (Runtime == InferenceRuntime.OnnxRuntime)
            _onnx = CreateOnnx(env);
    }

    private TransformationProbeTransformer(IHost host, ModelLoadContext ctx)
        : base(host)
    {
        // *** Binary format ***
        // int: mode (ProbeMode)
        // int: kind (TransformKind)
        // int: part (RepresentationPart)
        // int: features (ProbeFeatures)
        // string id: image column
        // string id: transformed image column (BetweenColumns only)
        // string id: output column
        // int: image size S
        // int: output size k
        // int: runtime (InferenceRuntime), from version 0x00010002 (before: TorchSharp)
        // stream "EncoderModel" (before version 0x00010003: "EncoderModelFile"): the EquiRecon model file, byte for byte
        // stream "ProbeHead": RegressionProbeModel.ToBytes()
        Mode = ReadEnum<ProbeMode>(host, ctx, "probe mode");
        Kind = ReadEnum<TransformKind>(host, ctx, "transform kind");
        Part = ReadEnum<RepresentationPart>(host, ctx, "representation part");
        Features = ReadEnum<ProbeFeatures>(host, ctx, "probe features");
        ImageColumnName = ctx.LoadNonEmptyString();
        TransformedImageColumnName = Mode == ProbeMode.BetweenColumns ? ctx.LoadNonEmptyString() : null;
        OutputColumnName = ctx.LoadNonEmptyString();
        ImageSize = ctx.Reader.ReadInt32();
        OutputSize = ctx.Reader.ReadInt32();
        host.CheckDecode(ImageSize > 0 && OutputSize > 0, "image and output sizes must be positive");
        Runtime = ctx.Header.ModelVerWritten >= VersionWithRuntime ? ReadEnum<InferenceRuntime>(host, ctx, "inference runtime") : InferenceRuntime.TorchSharp;

        _encoderBytes = EncoderSource.LoadBytes(ctx, legacyName: ctx.Header.ModelVerWritten < VersionWithEncoderStream);
        _headBytes = ModelBlob.Load(ctx, HeadStream);
        if (Runtime == InferenceRuntime.OnnxRuntime)
        {
            try
            {
                host.CheckDecode(ModelFile.ReadManifest(_encoderBytes, EncoderSource.EmbeddedSource).InputSize == ImageSize,
                    "the stored encoder's input size differs from the stored image size");
            }
            catch (ModelFileException e)
            {
                throw new FormatException($"The encoder model file stored in the ML.NET model is invalid: {e.Message}", e);
            }
            _onnx = CreateOnnx(host);
        }
        else
        {
            EnsureTorch();
        }
    }

    /// <summary>The runtime that computes the rows (saved with the model); fitting and <see cref="Evaluate"/> use TorchSharp.</summary>
    public InferenceRuntime Runtime { get; }

    /// <summary>One image relative to canonical, or the second image column relative to the first.</summary>
    public ProbeMode Mode { get; }

    /// <summary>The transformation whose parameters are predicted.</summary>
    public TransformKind Kind { get; }

    /// <summary>The representation part the head reads.</summary>
    public RepresentationPart Part { get; }

    /// <summary>The encoder output the head reads.</summary>
    public ProbeFeatures Features { get; }

    /// <summary>The image column (canonical / reference image).</summary>
    public string ImageColumnName { get; }

    /// <summary>The second image column in <see cref="ProbeMode.BetweenColumns"/>; <see langword="null"/> otherwise.</summary>
    public string? TransformedImageColumnName { get; }

    /// <summary>The output column, a float vector of <see cref="OutputSize"/> values.</summary>
    public string OutputColumnName { get; }

    /// <summary>Side <c>S</c> of the square images the encoder takes.</summary>
    public int ImageSize { get; }

    /// <summary>Number of predicted parameters <c>k</c> (rotation 1, translation 2, colour 4, blur 1, crop 4, flip 1).</summary>
    public int OutputSize { get; }

    /// <summary>Names of the predicted parameters, in output order (e.g. <c>angle</c> for rotation).</summary>
    public IReadOnlyList<string> ParameterNames => ProbeSamples.ParameterNames(Kind, ImageSize);

    /// <summary>The row mapper over <paramref name="schema"/> (validates the input columns).</summary>
    protected override IRowMapper MakeRowMapper(DataViewSchema schema) => new Mapper(this, schema);

    /// <summary>
    /// Scores the probe on held-out canonical images: applies <paramref name="samplesPerImage"/> random transformations of
    /// <see cref="Kind"/> with known parameters (seeded by <paramref name="seed"/>, default ranges) to every image of
    /// <see cref="ImageColumnName"/>, predicts them as the transformer does (from <c>f(g(x))</c>, or from
    /// <c>[f(x), f(g(x))]</c> in <see cref="ProbeMode.BetweenColumns"/>) and returns R² in both definitions.
    /// </summary>
    /// <param name="data">Data with the image column (<c>Image&lt;S, S&gt;</c>); rows with a missing image are skipped.</param>
    /// <param name="seed">Seed of the random transformations; use one the fit did not use for an honest score. Default 1.</param>
    /// <param name="samplesPerImage">Transformations per image. Default 1.</param>
    /// <returns>R² over all transformed images.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or has the wrong type.</exception>
    /// <exception cref="InvalidOperationException">Fewer than 2 samples.</exception>
    public TransformationProbeMetrics Evaluate(IDataView data, int seed = 1, int samplesPerImage = 1)
    {
        Host.CheckValue(data, nameof(data));
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerImage, 1);
        var column = ImageColumnChecks.Check(Host, nameof(data), data.Schema, "image", ImageColumnName, ImageSize, ImageSize);
        using var scope = NewDisposeScope();
        var images = ImageTensorReader.ReadImages(data, column, ImageSize, ImageSize);
        long samples = images.shape[0] * samplesPerImage;
        if (samples < 2)
            throw new InvalidOperationException($"Evaluating needs at least 2 samples; column '{ImageColumnName}' has {images.shape[0]} image(s).");
        lock (_gate)
        {
            EnsureTorch();
            using var noGrad = no_grad();
            var (features, parameters) = ProbeSamples.Make(_extractor!, images, Kind, Mode, samplesPerImage, seed);
            var predicted = _head!.call(features);
            var perOutput = RSquared.PerOutput(predicted, parameters);
            return new TransformationProbeMetrics(RSquared.Global(predicted, parameters), perOutput.Average(), perOutput, checked((int)samples));
        }
    }

    /// <summary>Writes the settings, the encoder model file and the head (binary format in the loading constructor).</summary>
    protected override void SaveModel(ModelSaveContext ctx)
    {
        Host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        ctx.Writer.Write((int)Mode);
        ctx.Writer.Write((int)Kind);
        ctx.Writer.Write((int)Part);
        ctx.Writer.Write((int)Features);
        ctx.SaveNonEmptyString(ImageColumnName);
        if (Mode == ProbeMode.BetweenColumns)
            ctx.SaveNonEmptyString(TransformedImageColumnName!);
        ctx.SaveNonEmptyString(OutputColumnName);
        ctx.Writer.Write(ImageSize);
        ctx.Writer.Write(OutputSize);
        ctx.Writer.Write((int)Runtime);
        EncoderSource.Save(ctx, _encoderBytes);
        ModelBlob.Save(ctx, HeadStream, _headBytes);
    }

    /// <summary>The input columns, checked: the image column and, in <see cref="ProbeMode.BetweenColumns"/>, the second one.</summary>
    internal DataViewSchema.Column[] CheckInputSchema(DataViewSchema schema)
    {
        Host.CheckValue(schema, nameof(schema));
        var image = ImageColumnChecks.Check(Host, nameof(schema), schema, "image", ImageColumnName, ImageSize, ImageSize);
        if (TransformedImageColumnName is null)
            return [image];
        return [image, ImageColumnChecks.Check(Host, nameof(schema), schema, "transformed image", TransformedImageColumnName, ImageSize, ImageSize)];
    }

    /// <summary>Predicts the parameters of one row into <paramref name="destination"/> (NaN when an image is missing).</summary>
    private void Predict(MLImage? image, MLImage? transformed, float[] destination)
    {
        if (image is null || (Mode == ProbeMode.BetweenColumns && transformed is null))
        {
            Array.Fill(destination, float.NaN);
            return;
        }

        if (_onnx is not null)
            _onnx.Predict(image, transformed, ImageColumnName, TransformedImageColumnName, destination);
        else
            PredictTorch(image, transformed, destination);
    }

    /// <summary>The TorchSharp path of <see cref="Predict"/> (its own method, so the ONNX path never touches TorchSharp).</summary>
    private void PredictTorch(MLImage image, MLImage? transformed, float[] destination)
    {
        lock (_gate)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var x = ImageTensorReader.ToTensor(image, ImageSize, ImageSize, ImageColumnName);
            Tensor features = Mode == ProbeMode.BetweenColumns
                ? _extractor!.Extract(cat([x, ImageTensorReader.ToTensor(transformed!, ImageSize, ImageSize, TransformedImageColumnName!)], 0)).view(1, -1)
                : _extractor!.Extract(x);
            _head!.call(features).cpu().data<float>().CopyTo(destination);
        }
    }

    /// <summary>A copy of this probe running on <paramref name="runtime"/> (same encoder, same fitted head).</summary>
    internal TransformationProbeTransformer WithRuntime(InferenceRuntime runtime)
    {
        var options = new TransformationProbeOptions
        {
            Mode = Mode,
            Kind = Kind,
            Part = Part,
            Features = Features,
            ImageColumnName = ImageColumnName,
            TransformedImageColumnName = TransformedImageColumnName,
            OutputColumnName = OutputColumnName,
            Runtime = runtime,
        };
        return new TransformationProbeTransformer(Host, options, EmbeddedEncoder.FromStored(_encoderBytes), RegressionProbeModel.FromBytes(_headBytes));
    }

    private OnnxProbe CreateOnnx(IHostEnvironment env) => new(env, _encoderBytes, _headBytes, Part, Features, Mode, OutputSize, UserName);

    /// <summary>Loads the TorchSharp encoder and head from the stored bytes once (TorchSharp's native library needed).</summary>
    private void EnsureTorch()
    {
        if (_head is not null)
            return;
        var encoder = EmbeddedEncoder.FromStored(_encoderBytes);
        try
        {
            Host.CheckDecode(encoder.Encoder.InputSize == ImageSize, "the stored encoder's input size differs from the stored image size");
            _head = RegressionProbeModel.FromBytes(_headBytes);
            _extractor = new ProbeFeatureExtractor(encoder.Encoder, Part, Features);
            _encoder = encoder;
            CheckHead();
        }
        catch
        {
            encoder.Dispose();
            _head = null;
            throw;
        }
    }

    private void CheckHead()
    {
        int expected = _extractor!.Dimension * (Mode == ProbeMode.BetweenColumns ? 2 : 1);
        if (_head!.InputDim != expected || _head.OutputDim != OutputSize)
        {
            throw new FormatException(
                $"The probe head maps {_head.InputDim} features to {_head.OutputDim} values; this probe needs {expected} to {OutputSize}.");
        }
    }

    private static T ReadEnum<T>(IHost host, ModelLoadContext ctx, string what)
        where T : struct, Enum
    {
        int value = ctx.Reader.ReadInt32();
        var result = (T)Enum.ToObject(typeof(T), value);
        host.CheckDecode(Enum.IsDefined(result), $"unknown {what} {value}");
        return result;
    }

    // 0x00010001: initial; 0x00010002: the inference runtime; 0x00010003: the encoder in the stream "EncoderModel" (EncoderSource).
    private const uint VersionWithRuntime = 0x00010002;
    private const uint VersionWithEncoderStream = 0x00010003;

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "ERTPROBE",
        verWrittenCur: VersionWithEncoderStream,
        verReadableCur: VersionWithEncoderStream,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(TransformationProbeTransformer).Assembly.FullName);

    private static IHost RegisterHost(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.Register(RegistrationName);
    }

    // Factory method for SignatureLoadModel.
    private static TransformationProbeTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = RegisterHost(env);
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new TransformationProbeTransformer(host, ctx);
    }

    // Factory method for SignatureLoadRowMapper.
    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema)
        => Create(env, ctx).MakeRowMapper(inputSchema);

    // Factory method for SignatureLoadDataTransform. ML.NET's catalog requires the return type to be exactly IDataTransform.
#pragma warning disable CA1859 // Use concrete types when possible for improved performance
    private static IDataTransform Create(IHostEnvironment env, ModelLoadContext ctx, IDataView input)
        => Create(env, ctx).MakeDataTransform(input);
#pragma warning restore CA1859

    // Field names avoid those of MapperBase: in the publicized compile-time view its private fields are visible.
    private sealed class Mapper : MapperBase
    {
        private readonly TransformationProbeTransformer _owner;
        private readonly DataViewSchema.Column[] _inputColumns;

        public Mapper(TransformationProbeTransformer parent, DataViewSchema inputSchema)
            : base(parent.Host.Register(nameof(Mapper)), inputSchema, parent)
        {
            _owner = parent;
            _inputColumns = parent.CheckInputSchema(inputSchema);
        }

        protected override DataViewSchema.DetachedColumn[] GetOutputColumnsCore()
            => [new DataViewSchema.DetachedColumn(_owner.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, _owner.OutputSize))];

        protected override Delegate MakeGetter(DataViewRow input, int iinfo, Func<int, bool> activeOutput, out Action disposer)
        {
            Host.CheckValue(input, nameof(input));
            Host.Assert(iinfo == 0);
            disposer = null!;
            var getImage = input.GetGetter<MLImage>(_inputColumns[0]);
            var getTransformed = _inputColumns.Length > 1 ? input.GetGetter<MLImage>(_inputColumns[1]) : null;
            MLImage? image = null, transformed = null;
            float[] buffer = new float[_owner.OutputSize];
            long computedPosition = -1;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> dst) =>
            {
                if (computedPosition != input.Position)
                {
                    getImage(ref image!);
                    getTransformed?.Invoke(ref transformed!);
                    _owner.Predict(image, transformed, buffer);
                    computedPosition = input.Position;
                }

                var editor = VBufferEditor.Create(ref dst, buffer.Length);
                buffer.CopyTo(editor.Values);
                dst = editor.Commit();
            };
            return getter;
        }

        protected override Func<int, bool> GetDependenciesCore(Func<int, bool> activeOutput)
        {
            bool active = activeOutput(0);
            return column => active && _inputColumns.Any(c => c.Index == column);
        }

        protected override void SaveModel(ModelSaveContext ctx) => _owner.SaveModel(ctx);
    }
}
