using EquiRecon.MLNet.Featurizer;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.MLNet.Pretraining;

/// <summary>
/// Settings of <see cref="EquiReconPretrainingEstimator"/>: which images to train on, which self-supervised method and
/// encoder, how long and how, and the columns of the featurizer it returns.
/// </summary>
/// <remarks>
/// The training defaults are those of EquiRecon's <c>PretrainingOptions</c> (1000 steps of 256 images, AdamW at 1e-3 with
/// warm-up and cosine decay), which suit CIFAR-sized data on a GPU; for a quick CPU run lower <see cref="Steps"/>,
/// <see cref="BatchSize"/> and the head sizes (<see cref="HeadSizes"/>).
/// </remarks>
public sealed record EquiReconPretrainingOptions
{
    /// <summary>
    /// Name of the image column to train on: <c>ImageDataViewType(S, S)</c>, square, <c>S ≥ 8</c> (e.g. <c>LoadImages</c>
    /// then <c>ResizeImages(S, S)</c>). The returned featurizer reads the same column. Default <c>"Image"</c>.
    /// </summary>
    public string InputColumnName { get; init; } = EquiReconColumnNames.Image;

    /// <summary>
    /// Self-supervised method, a name of EquiRecon's method registry (<c>MethodRegistry.Names</c>): <c>equirecon</c>
    /// (default), <c>vicreg</c> or one of the <c>sie-*</c> family. <c>supervised</c> is rejected: it needs labels, and a
    /// supervised model is better trained with ML.NET's own trainers on the featurizer's output.
    /// </summary>
    public string Method { get; init; } = "equirecon";

    /// <summary>
    /// Encoder preset, a name of <c>EncoderNames.Names</c>. Default <c>"small-cifar-resnet"</c> (widths 32–256, 256 = 128 + 128
    /// channels). Not used when <see cref="InitModelFile"/> is set (the architecture is the init file's).
    /// </summary>
    public string Encoder { get; init; } = "small-cifar-resnet";

    /// <summary>
    /// An explicit encoder architecture, used instead of <see cref="Encoder"/> when set (e.g. a tiny one for tests); with
    /// <see cref="InitModelFile"/> it must equal the init file's. Default <see langword="null"/>.
    /// </summary>
    public ResNetEncoderConfig? EncoderConfig { get; init; }

    /// <summary>
    /// A <c>.equirecon</c> model file (e.g. one saved from an earlier featurizer or by <c>equirecon pretrain</c>) whose encoder
    /// weights and BatchNorm statistics start the training; the heads start fresh. The encoder architecture and the input
    /// normalisation are the file's (<see cref="Encoder"/>, <see cref="Mean"/> and <see cref="Std"/> are then not used).
    /// Default <see langword="null"/>: random initialisation.
    /// </summary>
    public string? InitModelFile { get; init; }

    /// <summary>
    /// Leading encoder stages kept fixed: 0 (default) trains everything; <c>k ≥ 1</c> freezes the stem and the first
    /// <c>k</c> residual stages (weights and BatchNorm statistics), which also skips their backward pass. At most the
    /// encoder's number of stages. Usually combined with <see cref="InitModelFile"/>.
    /// </summary>
    public int FrozenStages { get; init; }

    /// <summary>Optimizer steps in all. Default 1000.</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>Images per step (two augmented views each); the data needs at least this many images. Default 256.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Peak AdamW learning rate (warm-up over the first 5 % of the steps, then cosine decay). Default 1e-3.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW decoupled weight decay. Default 1e-4.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>
    /// Seed of initialization, data order and augmentations. Default <see langword="null"/>: the <c>MLContext</c>'s seed when
    /// it has one, else 0.
    /// </summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Sizes of the method's heads (VICReg expander, SIE projector, reconstruction decoder). Default <see langword="null"/>:
    /// the paper-scale sizes of the method (expander 2048, decoder width 256).
    /// </summary>
    public HeadSizes? HeadSizes { get; init; }

    /// <summary>
    /// Where a checkpoint is written (atomically) when training stops or finishes, and every <see cref="CheckpointEvery"/>
    /// steps; when the file exists at <c>Fit</c>, training resumes from it (same data, method and settings). Default
    /// <see langword="null"/>: no checkpoint.
    /// </summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Write the checkpoint every this many steps (0: only when stopping or finishing). Needs <see cref="CheckpointPath"/>. Default 0.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Report progress (losses, learning rate, throughput) to <c>mlContext.Log</c> every this many steps, and at the last. Default 10.</summary>
    public int ReportEvery { get; init; } = 10;

    /// <summary>
    /// Per-channel RGB mean subtracted from [0, 1] pixels, stored in the model. Default CIFAR-10's (0.4914, 0.4822, 0.4465).
    /// Not used when <see cref="InitModelFile"/> is set (the file's is).
    /// </summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageTensors.Cifar10Mean;

    /// <summary>
    /// Per-channel RGB standard deviation, stored in the model. Default CIFAR-10's (0.2470, 0.2435, 0.2616). Not used when
    /// <see cref="InitModelFile"/> is set (the file's is).
    /// </summary>
    public IReadOnlyList<float> Std { get; init; } = ImageTensors.Cifar10Std;

    /// <summary>
    /// What to do when <c>mlContext.GpuDeviceId</c> is set but CUDA is not available, for training and for the returned
    /// featurizer: <see langword="true"/> runs on the CPU, <see langword="false"/> throws. Default <see langword="null"/>:
    /// follow <c>mlContext.FallbackToCpu</c>.
    /// </summary>
    public bool? FallbackToCpu { get; init; }

    /// <summary>
    /// Stops training before the next step when cancelled (the checkpoint is written when <see cref="CheckpointPath"/> is
    /// set); <c>Fit</c> then throws <see cref="OperationCanceledException"/>. ML.NET's own cancellation of the context
    /// (<c>MLContext.CancelExecution</c>, internal to ML.NET and used by AutoML) does the same. Not saved. Default none.
    /// </summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>
    /// Receives every progress report of the training loop (step, losses, learning rate, images per second, time left), on
    /// the training thread, as they are also written to <c>mlContext.Log</c> (every <see cref="ReportEvery"/> steps). Use a
    /// synchronous <see cref="IProgress{T}"/>; <see cref="Progress{T}"/> posts to the thread pool or the UI thread. Default
    /// <see langword="null"/>: the log only.
    /// </summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Name of the returned featurizer's invariant column. Default <c>"Invariant"</c>.</summary>
    public string InvariantColumnName { get; init; } = EquiReconColumnNames.Invariant;

    /// <summary>Name of the returned featurizer's equivariant column. Default <c>"Equivariant"</c>.</summary>
    public string EquivariantColumnName { get; init; } = EquiReconColumnNames.Equivariant;

    /// <summary>Name of the returned featurizer's optional whole-representation column. Default <see langword="null"/>: none.</summary>
    public string? FeaturesColumnName { get; init; }

    /// <summary>Rows per forward pass of the returned featurizer's <c>Transform</c>. Default 64.</summary>
    public int FeaturizerBatchSize { get; init; } = 64;

    /// <summary>
    /// libtorch intra-op threads for each forward pass of the returned featurizer, as
    /// <see cref="Featurizer.EquiReconFeaturizerOptions.InferenceThreads"/> (pretraining itself uses libtorch's setting).
    /// Default 1; <see langword="null"/> leaves libtorch's own setting.
    /// </summary>
    public int? InferenceThreads { get; init; } = Featurizer.EquiReconFeaturizerOptions.DefaultInferenceThreads;

    /// <summary>The output column names of the returned featurizer.</summary>
    internal IReadOnlyList<string> OutputColumnNames
        => FeaturesColumnName is null
            ? [InvariantColumnName, EquivariantColumnName]
            : [InvariantColumnName, EquivariantColumnName, FeaturesColumnName];

    /// <summary>
    /// The encoder architecture: <see cref="EncoderConfig"/>, else the one of <see cref="InitModelFile"/>, else the preset
    /// <see cref="Encoder"/>.
    /// </summary>
    /// <exception cref="ModelFileException"><see cref="InitModelFile"/> is missing or not a valid model file.</exception>
    internal ResNetEncoderConfig ResolveEncoder() =>
        EncoderConfig
        ?? (InitModelFile is { } init ? EncoderSpecs.ToConfig(ModelFile.ReadManifest(init).Encoder) : EncoderNames.Get(Encoder));

    /// <summary><paramref name="training"/> continuing from <see cref="InitModelFile"/> when it is set, with <see cref="FrozenStages"/>.</summary>
    /// <exception cref="ModelFileException"><see cref="InitModelFile"/> is missing or not a valid model file.</exception>
    internal PretrainingOptions ApplyInit(PretrainingOptions training)
    {
        training = training with { FrozenStages = FrozenStages };
        return InitModelFile is { } init ? training.ContinuingFrom(init) : training;
    }

    /// <summary>The method with <see cref="HeadSizes"/> applied.</summary>
    internal MethodConfig ResolveMethod()
    {
        var method = MethodRegistry.Get(Method);
        if (method.RequiresLabels)
        {
            throw new ArgumentException(
                $"Method '{Method}' needs class labels; the ML.NET pretraining estimator is self-supervised. Choose one of: {string.Join(", ", MethodRegistry.Names.Where(n => !MethodRegistry.Get(n).RequiresLabels))} (then train a classifier on the featurizer's output with an ML.NET trainer).",
                nameof(Method));
        }

        return HeadSizes is null ? method : method.WithHeadSizes(HeadSizes);
    }

    /// <summary>Checks every setting that does not depend on the data.</summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    internal void Validate()
    {
        EquiReconFeaturizerOptions.ValidateColumns(InputColumnName, InvariantColumnName, EquivariantColumnName, FeaturesColumnName, FeaturizerBatchSize);
        EquiReconFeaturizerOptions.ValidateInferenceThreads(InferenceThreads);
        ArgumentException.ThrowIfNullOrWhiteSpace(Method, nameof(Method));
        if (InitModelFile is not null)
            ArgumentException.ThrowIfNullOrWhiteSpace(InitModelFile, nameof(InitModelFile));
        if (EncoderConfig is null && InitModelFile is null)
            ArgumentException.ThrowIfNullOrWhiteSpace(Encoder, nameof(Encoder));
        _ = ResolveMethod();
        if (InitModelFile is null)
            ResolveEncoder().Validate();  // with an init file, the encoder is checked when the file is read, at Fit
        else
            EncoderConfig?.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(FrozenStages, nameof(FrozenStages));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Steps, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        if (!double.IsFinite(LearningRate) || LearningRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0)
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "The weight decay must be non-negative and finite.");
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointEvery, nameof(CheckpointEvery));
        if (CheckpointEvery > 0 && string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentException("CheckpointEvery is set but CheckpointPath is not.", nameof(CheckpointPath));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReportEvery, nameof(ReportEvery));
        if (Mean is null || Mean.Count != 3 || Mean.Any(m => !float.IsFinite(m)))
            throw new ArgumentException("Mean needs 3 finite values (R, G, B).", nameof(Mean));
        if (Std is null || Std.Count != 3 || Std.Any(s => !float.IsFinite(s) || s <= 0f))
            throw new ArgumentException("Std needs 3 finite positive values (R, G, B).", nameof(Std));
    }
}
