using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Persistence;
using EquiRecon.MLNet.Runtime;
using EquiRecon.MLNet.Transforms;
using EquiRecon.Onnx;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

// Loaders ML.NET finds by LoaderSignature when it reads a zip (it loads this assembly by the name the zip records).
[assembly: LoadableClass(typeof(EquiReconFeaturizerTransformer), null, typeof(SignatureLoadModel),
    EquiReconFeaturizerTransformer.UserName, EquiReconFeaturizerTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(EquiReconFeaturizerTransformer), null, typeof(SignatureLoadRowMapper),
    EquiReconFeaturizerTransformer.UserName, EquiReconFeaturizerTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IDataTransform), typeof(EquiReconFeaturizerTransformer), null, typeof(SignatureLoadDataTransform),
    EquiReconFeaturizerTransformer.UserName, EquiReconFeaturizerTransformer.LoaderSignature)]

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// <see cref="ITransformer"/> that runs a pretrained EquiRecon encoder over an image column and adds the invariant and
/// equivariant parts of its pooled representation as float vector columns (and optionally the whole representation).
/// Created by <see cref="EquiReconFeaturizerEstimator"/> or <see cref="Pretraining.EquiReconPretrainingEstimator"/>.
/// </summary>
/// <remarks>
/// <para>
/// <b>Two paths, outputs within 1e-5.</b> <see cref="Transform"/> returns a data view whose cursor reads
/// <see cref="BatchSize"/> rows ahead (a second cursor over the input that only reads the input column, once per row),
/// encodes them in one forward pass and then serves them; passthrough columns come from the main input cursor, and the
/// two cursors are checked to visit the same rows. Only one batch is held at a time, so memory stays flat however
/// many rows stream through. The per-row path (<c>GetRowToRowMapper</c>, hence <c>PredictionEngine</c>) runs one forward
/// pass per row. Their features agree within 1e-5 absolute, not bitwise: libtorch computes a batch of 64 with other
/// kernels and summation orders than a batch of 1 (we measured differences up to 2.6e-6 on the default encoder); with
/// <see cref="BatchSize"/> = 1 both run the same forward pass and agree bitwise.
/// Inference runs in eval mode without gradients (<see cref="PretrainedEncoder.Encode"/>).
/// </para>
/// <para>
/// <b>Device.</b> CUDA device <c>mlContext.GpuDeviceId</c> when set and available; otherwise the CPU, or an exception
/// when a GPU was asked for and <see cref="FallbackToCpu"/> (or, when that is null, <c>mlContext.FallbackToCpu</c>)
/// does not allow falling back. The device is chosen when the transformer is created (by <c>Fit</c> or by
/// <c>mlContext.Model.Load</c>, from that context's settings).
/// </para>
/// <para>
/// <b>Runtime.</b> <see cref="Runtime"/> (<see cref="InferenceRuntime"/>, saved with the model) selects TorchSharp or
/// ONNX Runtime. With <see cref="InferenceRuntime.OnnxRuntime"/> the encoder is exported to ONNX once, in memory, when
/// the transformer is created, and every pass runs in one ONNX Runtime session (CUDA execution provider for
/// <c>mlContext.GpuDeviceId</c> where the application's ONNX Runtime package has it); no TorchSharp backend is needed, and
/// concurrent passes (several <c>PredictionEngine</c>s) run in parallel, as they do through TorchSharp.
/// </para>
/// <para>
/// <b>Threads.</b> Each forward pass runs with <see cref="InferenceThreads"/> libtorch intra-op threads (default 1; see
/// <see cref="EquiReconFeaturizerOptions.InferenceThreads"/>). The transformer holds one encoder, loaded once. Several cursors and several
/// <c>PredictionEngine</c>s (one per thread, as ML.NET requires) may use it at the same time, and their forward passes run
/// in parallel on the one encoder (<see cref="PretrainedEncoder"/> keeps no state between passes): with the default one
/// thread per pass, engines on several threads use several cores (docs/benchmarks.md, "PredictionEngine threads").
/// </para>
/// <para>
/// <b>Persistence.</b> <c>mlContext.Model.Save</c> embeds the EquiRecon model file (manifest and weights) in the ML.NET
/// zip; <c>mlContext.Model.Load</c> restores the transformer in any process that can load EquiRecon.MLNet, with no
/// registration call and no file beside the zip.
/// </para>
/// <para>
/// <b>Lifetime.</b> The transformer is deliberately not <see cref="IDisposable"/>: ML.NET's <c>PredictionEngine</c>
/// disposes a disposable transformer it was created from when the engine is disposed (its <c>OwnsTransformer</c> defaults to
/// true), which would break every other engine and <c>Transform</c> sharing it. The encoder's native memory is released by
/// the garbage collector once the transformer is unreachable.
/// </para>
/// <para>
/// A missing input (a <see langword="null"/> image or an empty vector) gives <see cref="float.NaN"/> features,
/// ML.NET's missing value.
/// </para>
/// </remarks>
public sealed class EquiReconFeaturizerTransformer : EquiReconTransformerBase, ITransformer
{
    internal const string UserName = "EquiRecon Featurizer";
    internal const string LoaderSignature = "EquiReconFeaturizer";
    private const string RegistrationName = "EquiReconFeaturizer";
    private const string ModelStream = EncoderSource.StreamName;
    private const int FlagFeaturesColumn = 1;

    private readonly byte[] _modelBytes;
    private readonly IFeatureEncoder _encoder;
    private readonly (int Start, int Length)[] _segments;

    /// <summary>
    /// Creates the transformer for the model file in <paramref name="modelBytes"/> and loads its encoder; messages name the
    /// bytes by <c>sourceName</c> (<see cref="EncoderSource.SourceName"/>).
    /// </summary>
    /// <exception cref="ModelFileException">The bytes are not a valid model file.</exception>
    /// <exception cref="InvalidOperationException">A GPU is requested and not available, and falling back is not allowed.</exception>
    internal EquiReconFeaturizerTransformer(IHostEnvironment env, byte[] modelBytes, string sourceName, string inputColumnName,
        string invariantColumnName, string equivariantColumnName, string? featuresColumnName, int batchSize, bool? fallbackToCpu,
        InferenceRuntime runtime = InferenceRuntime.TorchSharp, int? inferenceThreads = EquiReconFeaturizerOptions.DefaultInferenceThreads)
        : base(RegisterHost(env), inputColumnName, CheckedOutputs(inputColumnName, invariantColumnName, equivariantColumnName, featuresColumnName, batchSize))
    {
        ArgumentNullException.ThrowIfNull(modelBytes);
        _modelBytes = modelBytes;
        BatchSize = batchSize;
        FallbackToCpu = fallbackToCpu;
        FeaturesColumnName = featuresColumnName;
        Runtime = CheckRuntime(runtime);
        EquiReconFeaturizerOptions.ValidateInferenceThreads(inferenceThreads);
        InferenceThreads = inferenceThreads;
        (Manifest, _encoder) = LoadEncoder(env, modelBytes, sourceName, fallbackToCpu, runtime, inferenceThreads);
        _segments = Segments(Manifest, FeaturesColumnName is not null);
    }

    private EquiReconFeaturizerTransformer(IHostEnvironment env, IHost host, ModelLoadContext ctx)
        : base(host, ctx)
    {
        // *** Binary format ***
        // <base: input column, output columns (invariant, equivariant[, features])>
        // int: flags (1: the third output column is the whole representation)
        // int: batch size of the batched Transform path
        // byte: FallbackToCpu (0: follow the MLContext, 1: false, 2: true)
        // byte: InferenceRuntime (0: TorchSharp, 1: OnnxRuntime); absent before version 0x00010002 (TorchSharp)
        // int: InferenceThreads (0: null, libtorch's setting); absent before version 0x00010003 (the default, 1)
        // stream "EncoderModel": the EquiRecon model file (zip with manifest.json and encoder.bin)
        int flags = ctx.Reader.ReadInt32();
        host.CheckDecode((flags & ~FlagFeaturesColumn) == 0, "unknown featurizer flags");
        bool hasFeatures = (flags & FlagFeaturesColumn) != 0;
        host.CheckDecode(OutputColumnNames.Count == (hasFeatures ? 3 : 2), "the number of output columns does not match the flags");
        FeaturesColumnName = hasFeatures ? OutputColumnNames[2] : null;
        BatchSize = ctx.Reader.ReadInt32();
        host.CheckDecode(BatchSize > 0, "the batch size must be positive");
        byte fallback = ctx.Reader.ReadByte();
        host.CheckDecode(fallback <= 2, "invalid FallbackToCpu setting");
        FallbackToCpu = fallback == 0 ? null : fallback == 2;
        if (ctx.Header.ModelVerWritten >= VersionWithRuntime)
        {
            byte runtime = ctx.Reader.ReadByte();
            host.CheckDecode(Enum.IsDefined((InferenceRuntime)runtime), "unknown inference runtime");
            Runtime = (InferenceRuntime)runtime;
        }
        else
        {
            Runtime = InferenceRuntime.TorchSharp;
        }

        if (ctx.Header.ModelVerWritten >= VersionWithInferenceThreads)
        {
            int threads = ctx.Reader.ReadInt32();
            host.CheckDecode(threads >= 0, "invalid inference thread count");
            InferenceThreads = threads == 0 ? null : threads;
        }
        else
        {
            InferenceThreads = EquiReconFeaturizerOptions.DefaultInferenceThreads;
        }

        _modelBytes = EncoderSource.LoadBytes(ctx);
        try
        {
            (Manifest, _encoder) = LoadEncoder(env, _modelBytes, EncoderSource.EmbeddedSource, FallbackToCpu, Runtime, InferenceThreads);
        }
        catch (ModelFileException e)
        {
            throw host.ExceptDecode(e, $"The EquiRecon model embedded in this ML.NET model (stream '{ModelStream}' of '{ctx.Directory}') is invalid: {e.Message}");
        }

        _segments = Segments(Manifest, hasFeatures);
    }

    /// <summary>The manifest of the encoder's model file: method, architecture, input size, normalisation, provenance.</summary>
    public ModelManifest Manifest { get; }

    /// <summary>Side <c>S</c> of the square images the encoder takes, in pixels.</summary>
    public int InputSize => Manifest.InputSize;

    /// <summary>Length of the invariant column, <c>C_inv</c>.</summary>
    public int InvariantSize => Manifest.Encoder.InvariantChannels;

    /// <summary>Length of the equivariant column, <c>C_eqv</c>.</summary>
    public int EquivariantSize => Manifest.Encoder.EquivariantChannels;

    /// <summary>Length of the whole representation, <c>C = C_inv + C_eqv</c> (the optional features column).</summary>
    public int FeatureSize => InvariantSize + EquivariantSize;

    /// <summary>The runtime that computes the forward passes (saved with the model).</summary>
    public InferenceRuntime Runtime { get; }

    /// <summary>libtorch intra-op threads per forward pass, or <see langword="null"/> for libtorch's own setting (saved with the model; see <see cref="EquiReconFeaturizerOptions.InferenceThreads"/>).</summary>
    public int? InferenceThreads { get; }

    /// <summary>Name of the invariant output column.</summary>
    public string InvariantColumnName => OutputColumnNames[0];

    /// <summary>Name of the equivariant output column.</summary>
    public string EquivariantColumnName => OutputColumnNames[1];

    /// <summary>Name of the column holding the whole representation, or <see langword="null"/> when it is not produced.</summary>
    public string? FeaturesColumnName { get; }

    /// <summary>Rows per forward pass in <see cref="Transform"/>.</summary>
    public int BatchSize { get; }

    /// <summary>The fallback setting: <see langword="null"/> follows <c>mlContext.FallbackToCpu</c>.</summary>
    public bool? FallbackToCpu { get; }

    /// <summary>The device inference runs on, e.g. <c>cpu</c> or <c>cuda:0</c> (of TorchSharp or ONNX Runtime, see <see cref="Runtime"/>).</summary>
    public string Device => _encoder.Device;

    /// <summary>The embedded EquiRecon model file (a copy): write it to disk to use the encoder outside ML.NET (<c>ModelFile.Load</c>).</summary>
    public byte[] GetModelFileBytes() => (byte[])_modelBytes.Clone();

    /// <summary>
    /// Writes the embedded EquiRecon model file to <paramref name="path"/> (overwriting it), e.g. the encoder that
    /// <c>Pretrain</c> trained inside a pipeline: then <c>FeaturizeImage(path)</c>, the <c>equirecon</c> tool
    /// (<c>evaluate --model</c>) and <c>ModelFile.Load</c> use it.
    /// </summary>
    /// <param name="path">The file to write, by convention with the extension <c>.equirecon</c>.</param>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public void SaveModelFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        File.WriteAllBytes(path, _modelBytes);
    }

    private protected override VersionInfo CurrentVersionInfo => GetVersionInfo();

    private protected override string ExpectedInputType => FeaturizerInput.Describe(InputSize);

    /// <summary>
    /// Maps <paramref name="input"/> lazily, encoding <see cref="BatchSize"/> rows per forward pass as its cursors move.
    /// </summary>
    /// <param name="input">Data with the input column (an image of <c>S × S</c> pixels or a float vector of <c>3 · S · S</c> values).</param>
    /// <returns>The input columns plus the output columns.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong type.</exception>
    public new IDataView Transform(IDataView input)
    {
        Host.CheckValue(input, nameof(input));
        var column = CheckInputSchema(input.Schema);
        return new FeaturizerDataView(Host, this, input, column, GetOutputSchema(input.Schema));
    }

    /// <summary>Encodes the rows of <paramref name="batch"/> into <paramref name="pooled"/> (<c>Count · C</c> values, row-major); missing rows get NaN.</summary>
    internal void Encode(PixelBatch batch, float[] pooled)
    {
        int channels = FeatureSize;
        int count = batch.Count;
        var destination = pooled.AsSpan(0, count * channels);
        if (batch.AllMissing)
        {
            destination.Fill(float.NaN);
            return;
        }

        _encoder.Encode(batch, destination);

        for (int slot = 0; slot < count; slot++)
        {
            if (batch.IsMissing(slot))
                destination.Slice(slot * channels, channels).Fill(float.NaN);
        }
    }

    /// <summary>Where output column <paramref name="outputIndex"/> lies inside a row of the pooled representation.</summary>
    internal (int Start, int Length) Segment(int outputIndex) => _segments[outputIndex];

    // 0x00010001: initial; 0x00010002: the inference runtime byte; 0x00010003: the inference thread count.
    private const uint VersionWithRuntime = 0x00010002;
    private const uint VersionWithInferenceThreads = 0x00010003;

    private static VersionInfo GetVersionInfo() => CreateVersionInfo(
        modelSignature: "ERFEATUR",
        verWrittenCur: VersionWithInferenceThreads,
        verReadableCur: VersionWithInferenceThreads,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderType: typeof(EquiReconFeaturizerTransformer));

    private static IHost RegisterHost(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.Register(RegistrationName);
    }

    private static string[] CheckedOutputs(string input, string invariant, string equivariant, string? features, int batchSize)
    {
        EquiReconFeaturizerOptions.ValidateColumns(input, invariant, equivariant, features, batchSize);
        return features is null ? [invariant, equivariant] : [invariant, equivariant, features];
    }

    private static InferenceRuntime CheckRuntime(InferenceRuntime runtime)
        => Enum.IsDefined(runtime)
            ? runtime
            : throw new ArgumentOutOfRangeException(nameof(runtime), runtime, $"Unknown inference runtime; choose {string.Join(" or ", Enum.GetNames<InferenceRuntime>())}.");

    /// <summary>
    /// The forward pass for <paramref name="runtime"/>: TorchSharp loads the model file's encoder on the device the context
    /// selects; ONNX Runtime exports it to ONNX in memory (no libtorch) and opens a session. The ONNX branch lives in its
    /// own method so that the TorchSharp types of the other one are never touched when it runs.
    /// </summary>
    private static (ModelManifest Manifest, IFeatureEncoder Encoder) LoadEncoder(IHostEnvironment env, byte[] modelBytes, string sourceName, bool? fallbackToCpu,
        InferenceRuntime runtime, int? inferenceThreads)
        => runtime == InferenceRuntime.OnnxRuntime
            ? LoadOnnxEncoder(env, modelBytes, sourceName, fallbackToCpu)
            : LoadTorchEncoder(env, modelBytes, sourceName, fallbackToCpu, inferenceThreads);

    private static (ModelManifest, IFeatureEncoder) LoadOnnxEncoder(IHostEnvironment env, byte[] modelBytes, string sourceName, bool? fallbackToCpu)
    {
        var manifest = ModelFile.ReadManifest(modelBytes, sourceName);
        var onnx = OnnxExport.ExportEncoderToBytes(modelBytes, sourceName: sourceName);
        var (session, device) = OnnxSessions.Create(env, onnx, fallbackToCpu, UserName);
        return (manifest, new OnnxFeatureEncoder(session, device, manifest));
    }

    private static (ModelManifest, IFeatureEncoder) LoadTorchEncoder(IHostEnvironment env, byte[] modelBytes, string sourceName, bool? fallbackToCpu, int? inferenceThreads)
    {
        var device = TorchRuntime.ResolveDevice(env, fallbackToCpu, UserName);
        var encoder = EncoderSource.Load(modelBytes, sourceName, device, UserName);
        return (encoder.Manifest, new TorchFeatureEncoder(encoder, inferenceThreads));
    }

    private static (int Start, int Length)[] Segments(ModelManifest manifest, bool hasFeatures)
    {
        int invariant = manifest.Encoder.InvariantChannels, equivariant = manifest.Encoder.EquivariantChannels;
        (int, int)[] parts = [(0, invariant), (invariant, equivariant)];
        return hasFeatures ? [.. parts, (0, invariant + equivariant)] : parts;
    }

    // Factory method for SignatureLoadModel.
    private static EquiReconFeaturizerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = RegisterHost(env);
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new EquiReconFeaturizerTransformer(env, host, ctx);
    }

    // Factory method for SignatureLoadRowMapper.
    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema)
        => Create(env, ctx).MakeRowMapper(inputSchema);

    // Factory method for SignatureLoadDataTransform. ML.NET's catalog requires the return type to be exactly IDataTransform.
#pragma warning disable CA1859 // Use concrete types when possible for improved performance
    private static IDataTransform Create(IHostEnvironment env, ModelLoadContext ctx, IDataView input)
        => Create(env, ctx).MakeDataTransform(input);
#pragma warning restore CA1859

    private protected override bool IsValidInputType(DataViewType type) => FeaturizerInput.IsValid(type, InputSize);

    private protected override int GetOutputSize(int outputIndex) => _segments[outputIndex].Length;

    private protected override void SaveState(ModelSaveContext ctx)
    {
        ctx.Writer.Write(FeaturesColumnName is null ? 0 : FlagFeaturesColumn);
        ctx.Writer.Write(BatchSize);
        ctx.Writer.Write((byte)(FallbackToCpu switch { null => 0, false => 1, true => 2 }));
        ctx.Writer.Write((byte)Runtime);
        ctx.Writer.Write(InferenceThreads ?? 0);
        EncoderSource.Save(ctx, _modelBytes);
    }

    private protected override RowComputation CreateRowComputation(DataViewRow input, DataViewSchema.Column inputColumn)
        => new RowEncoding(this, PixelBatch.Create(input, inputColumn, InputSize, capacity: 1));

    /// <summary>The per-row path: one forward pass per row, shared by all output columns of the row.</summary>
    private sealed class RowEncoding : RowComputation
    {
        private readonly EquiReconFeaturizerTransformer _parent;
        private readonly PixelBatch _batch;
        private readonly float[] _pooled;

        public RowEncoding(EquiReconFeaturizerTransformer parent, PixelBatch batch)
        {
            _parent = parent;
            _batch = batch;
            _pooled = new float[parent.FeatureSize];
        }

        public override void Compute(float[][] outputs)
        {
            _batch.Clear();
            _batch.ReadCurrentRow();
            _parent.Encode(_batch, _pooled);
            for (int k = 0; k < outputs.Length; k++)
            {
                var (start, length) = _parent._segments[k];
                _pooled.AsSpan(start, length).CopyTo(outputs[k]);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                _batch.Dispose();
            base.Dispose(disposing);
        }
    }
}
