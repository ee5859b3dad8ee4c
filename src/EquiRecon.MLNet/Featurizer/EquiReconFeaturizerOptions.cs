using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// Settings of <see cref="EquiReconFeaturizerEstimator"/>: the EquiRecon model file whose encoder computes the
/// features, the image column it reads, the columns it writes, and how inference runs.
/// </summary>
/// <remarks>
/// <para>
/// Input: either an image column of fixed size <c>S × S</c> (<c>ImageDataViewType(S, S)</c>, e.g. <c>LoadImages</c>
/// then <c>ResizeImages(S, S)</c>), or a known-size float vector column of <c>3 · S · S</c> values laid out like the
/// output of ML.NET's <c>ExtractPixels</c> with its defaults: channels first (<c>interleavePixelColors: false</c>),
/// in R, G, B order (<c>orderOfExtraction: ARGB</c> with <c>colorsToExtract: Rgb</c> extracts R, G, B), raw values in
/// [0, 255] (<c>scaleImage: 1</c>, <c>offsetImage: 0</c>). <c>S</c> is the model's input size
/// (<c>ModelManifest.InputSize</c>). The model's own normalisation (its manifest's mean and std) is applied inside.
/// </para>
/// <para>
/// Output: the encoder's pooled representation <c>(C)</c> split by channel into <see cref="InvariantColumnName"/>
/// <c>(C_inv)</c> and <see cref="EquivariantColumnName"/> <c>(C_eqv)</c>, and, when <see cref="FeaturesColumnName"/>
/// is set, the whole representation <c>(C)</c>, all known-size vectors of <see cref="float"/>.
/// </para>
/// </remarks>
public sealed record EquiReconFeaturizerOptions
{
    /// <summary>
    /// Path of the EquiRecon model file (written by <c>ModelFile.Save</c>, <c>Pretrainer.SaveModel</c> or the CLI).
    /// Its bytes are read when the estimator is created and embedded in the ML.NET model zip when the transformer is
    /// saved, so the zip is self-contained. Default <see langword="null"/>: the built-in encoder <see cref="BuiltInEncoder"/>
    /// names, else the default encoder shipped in the package (<c>EquiRecon.TorchSharp.IO.DefaultEncoder</c>, a small
    /// CIFAR-10 encoder for 32 × 32 images).
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
    /// Name of the input column: an image <c>ImageDataViewType(S, S)</c>, or a float vector of <c>3 · S · S</c>
    /// values (channels first, RGB, [0, 255]). Default <c>"Image"</c>.
    /// </summary>
    public string InputColumnName { get; init; } = EquiReconColumnNames.Image;

    /// <summary>Name of the output column holding the invariant channels <c>(C_inv)</c>. Default <c>"Invariant"</c>.</summary>
    public string InvariantColumnName { get; init; } = EquiReconColumnNames.Invariant;

    /// <summary>Name of the output column holding the equivariant channels <c>(C_eqv)</c>. Default <c>"Equivariant"</c>.</summary>
    public string EquivariantColumnName { get; init; } = EquiReconColumnNames.Equivariant;

    /// <summary>
    /// Name of an optional third output column holding the whole representation <c>(C)</c>, invariant channels first
    /// (the two parts concatenated). Default <see langword="null"/>: not produced (use <c>Concatenate</c> when a
    /// trainer needs both parts in one column).
    /// </summary>
    public string? FeaturesColumnName { get; init; }

    /// <summary>
    /// Rows per forward pass when the transformer maps a whole data view (<c>Transform</c>): its cursor reads this many
    /// rows ahead, encodes them in one batch and then serves them. Default 64. The per-row path
    /// (<c>PredictionEngine</c>, <c>GetRowToRowMapper</c>) runs one forward pass per row; the two agree within 1e-5
    /// absolute, and bitwise when this is 1 (other batch sizes use other kernels and summation orders).
    /// </summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// What to do when <c>mlContext.GpuDeviceId</c> is set but TorchSharp has no CUDA device of that index:
    /// <see langword="true"/> runs on the CPU (with a warning in <c>mlContext.Log</c>), <see langword="false"/> throws.
    /// Default <see langword="null"/>: follow <c>mlContext.FallbackToCpu</c> (itself <see langword="false"/> by default).
    /// With <c>mlContext.GpuDeviceId</c> null, inference runs on the CPU and this setting is not used.
    /// </summary>
    public bool? FallbackToCpu { get; init; }

    /// <summary>
    /// Which runtime computes the forward passes: <see cref="InferenceRuntime.TorchSharp"/> (libtorch; the application
    /// references a TorchSharp backend such as <c>TorchSharp-cpu</c>) or <see cref="InferenceRuntime.OnnxRuntime"/> (the
    /// encoder is exported to ONNX in memory when the transformer is created and runs in an ONNX Runtime session; the
    /// application references <c>Microsoft.ML.OnnxRuntime</c> 1.32.0, or a GPU build, and needs no TorchSharp backend).
    /// Both give the same features within 1e-4 relative. <c>mlContext.GpuDeviceId</c> and <see cref="FallbackToCpu"/>
    /// apply to both (with ONNX Runtime: its CUDA execution provider). Saved with the model. Default
    /// <see cref="InferenceRuntime.TorchSharp"/>.
    /// </summary>
    public InferenceRuntime Runtime { get; init; } = InferenceRuntime.TorchSharp;

    /// <summary>
    /// libtorch intra-op threads for each forward pass of this step (<see cref="InferenceRuntime.TorchSharp"/>): set on the
    /// thread that runs the pass and restored after it, so it does not change the application's other libtorch work. Default
    /// 1, chosen for <c>PredictionEngine</c> use: a 32-px image is too little work to share between threads, and on a
    /// busy machine threads waiting for each other cost more than the pass (<c>docs/benchmarks.md</c>, "PredictionEngine
    /// threads"). Several engines on several threads then use the cores side by side. Set it higher for large images or
    /// large batches on an otherwise idle machine; <see langword="null"/> leaves libtorch's own setting (all cores, or
    /// <c>OMP_NUM_THREADS</c>). Saved with the model. Not used by <see cref="InferenceRuntime.OnnxRuntime"/>.
    /// </summary>
    public int? InferenceThreads { get; init; } = DefaultInferenceThreads;

    /// <summary>The default of <see cref="InferenceThreads"/>: 1.</summary>
    internal const int DefaultInferenceThreads = 1;

    /// <summary>The output column names in output order: invariant, equivariant, then the optional features column.</summary>
    internal IReadOnlyList<string> OutputColumnNames
        => FeaturesColumnName is null
            ? [InvariantColumnName, EquivariantColumnName]
            : [InvariantColumnName, EquivariantColumnName, FeaturesColumnName];

    /// <summary>Checks every setting except the model file's content.</summary>
    /// <exception cref="ArgumentException">The model file path or a column name is empty, both a model file and a built-in
    /// encoder are given, two output columns share a name, the batch size or inference thread count is not positive, or the
    /// runtime is not defined.</exception>
    internal void Validate()
    {
        EncoderSource.Validate(ModelFile, BuiltInEncoder, nameof(ModelFile), nameof(BuiltInEncoder));
        if (!Enum.IsDefined(Runtime))
            throw new ArgumentException($"{nameof(Runtime)} is {(int)Runtime}, which is no inference runtime; choose {string.Join(" or ", Enum.GetNames<InferenceRuntime>())}.", nameof(Runtime));
        ValidateColumns(InputColumnName, InvariantColumnName, EquivariantColumnName, FeaturesColumnName, BatchSize);
        ValidateInferenceThreads(InferenceThreads);
    }

    /// <summary>Checks an inference thread count (shared with the pretraining estimator's options).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The count is not null and below 1.</exception>
    internal static void ValidateInferenceThreads(int? inferenceThreads, string optionName = nameof(InferenceThreads))
    {
        if (inferenceThreads is < 1)
            throw new ArgumentOutOfRangeException(optionName, inferenceThreads, $"{optionName} must be at least 1, or null for libtorch's own setting.");
    }

    /// <summary>Checks column names and batch size (shared with the pretraining estimator's options).</summary>
    internal static void ValidateColumns(string inputColumnName, string invariantColumnName, string equivariantColumnName, string? featuresColumnName, int batchSize)
    {
        if (string.IsNullOrWhiteSpace(inputColumnName))
            throw new ArgumentException("The input column name must not be empty.", nameof(inputColumnName));
        if (string.IsNullOrWhiteSpace(invariantColumnName))
            throw new ArgumentException("The invariant column name must not be empty.", nameof(invariantColumnName));
        if (string.IsNullOrWhiteSpace(equivariantColumnName))
            throw new ArgumentException("The equivariant column name must not be empty.", nameof(equivariantColumnName));
        if (featuresColumnName is not null && string.IsNullOrWhiteSpace(featuresColumnName))
            throw new ArgumentException("The features column name must be null (no such column) or not empty.", nameof(featuresColumnName));
        string[] outputs = featuresColumnName is null
            ? [invariantColumnName, equivariantColumnName]
            : [invariantColumnName, equivariantColumnName, featuresColumnName];
        if (outputs.Distinct(StringComparer.Ordinal).Count() != outputs.Length)
            throw new ArgumentException($"The output columns need distinct names, got {string.Join(", ", outputs.Select(o => "'" + o + "'"))}.", nameof(invariantColumnName));
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
    }
}
