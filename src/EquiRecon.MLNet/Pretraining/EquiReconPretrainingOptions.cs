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
/// The training settings are EquiRecon's <see cref="PretrainingOptions"/>, wrapped, not copied: <see cref="Training"/> holds
/// them, and <see cref="Steps"/>, <see cref="BatchSize"/>, <see cref="LearningRate"/>, <see cref="WeightDecay"/>,
/// <see cref="FrozenStages"/>, <see cref="CheckpointPath"/>, <see cref="CheckpointEvery"/>, <see cref="ReportEvery"/>,
/// <see cref="Mean"/> and <see cref="Std"/> read and set its fields (when an initializer sets both <see cref="Training"/>
/// and one of these, set <see cref="Training"/> first). The defaults are therefore <see cref="PretrainingOptions"/>'s
/// (1000 steps of 256 images, AdamW at 1e-3 with warm-up and cosine decay), which suit CIFAR-sized data on a GPU; for a
/// quick CPU run lower <see cref="Steps"/> and <see cref="BatchSize"/>. The method's heads are sized to the encoder as
/// the CLI's <c>equirecon pretrain</c> sizes them (<see cref="HeadSizes"/>), so the same method, encoder, settings and
/// seed train the same model through either.
/// </remarks>
public sealed record EquiReconPretrainingOptions
{
    private PretrainingOptions _training = new();

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
    public string Method { get; init; } = MethodRegistry.DefaultName;

    /// <summary>
    /// Encoder preset, a name of <c>EncoderNames.Names</c>. Default <c>"small-cifar-resnet"</c> (widths 32–256, 256 = 128 + 128
    /// channels). Not used when <see cref="InitModelFile"/> is set (the architecture is the init file's).
    /// </summary>
    public string Encoder { get; init; } = EncoderNames.Default;

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
    public int FrozenStages { get => _training.FrozenStages; init => _training = _training with { FrozenStages = value }; }

    /// <summary>
    /// The training settings (steps, batch size, optimizer, schedule, checkpointing, normalisation), EquiRecon's one record
    /// of them; the properties below are views of its fields. Its <see cref="PretrainingOptions.Seed"/>,
    /// <see cref="PretrainingOptions.Device"/> and <see cref="PretrainingOptions.InitFrom"/> are not used: the seed is
    /// <see cref="Seed"/>, the device comes from the <c>MLContext</c> and the init file is <see cref="InitModelFile"/>.
    /// Default <c>new PretrainingOptions()</c>.
    /// </summary>
    public PretrainingOptions Training { get => _training; init => _training = value ?? throw new ArgumentNullException(nameof(Training)); }

    /// <summary>Optimizer steps in all. Default <see cref="PretrainingOptions.DefaultSteps"/> (1000).</summary>
    public int Steps { get => _training.Steps; init => _training = _training with { Steps = value }; }

    /// <summary>Images per step (two augmented views each); the data needs at least this many images. Default <see cref="PretrainingOptions.DefaultBatchSize"/> (256).</summary>
    public int BatchSize { get => _training.BatchSize; init => _training = _training with { BatchSize = value }; }

    /// <summary>Peak AdamW learning rate (warm-up over the first 5 % of the steps, then cosine decay). Default <see cref="PretrainingOptions.DefaultLearningRate"/> (1e-3).</summary>
    public double LearningRate { get => _training.LearningRate; init => _training = _training with { LearningRate = value }; }

    /// <summary>AdamW decoupled weight decay. Default <see cref="PretrainingOptions.DefaultWeightDecay"/> (1e-4).</summary>
    public double WeightDecay { get => _training.WeightDecay; init => _training = _training with { WeightDecay = value }; }

    /// <summary>
    /// Seed of initialization, data order and augmentations. Default <see langword="null"/>: the <c>MLContext</c>'s seed when
    /// it has one, else 0.
    /// </summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Sizes of the method's heads (VICReg expander, SIE projector, reconstruction decoder). Default <see langword="null"/>:
    /// sized to the encoder as <c>equirecon pretrain</c> does (<c>HeadSizes.ScaledTo</c> its channels: expander 4·C,
    /// projector 2·C, decoder width C/2; the paper's 2048 / 1024 / 256 for a 512-channel ResNet-18).
    /// </summary>
    public HeadSizes? HeadSizes { get; init; }

    /// <summary>
    /// Where a checkpoint is written (atomically) when training stops or finishes, and every <see cref="CheckpointEvery"/>
    /// steps; when the file exists at <c>Fit</c>, training resumes from it (same data, method and settings). Default
    /// <see langword="null"/>: no checkpoint.
    /// </summary>
    public string? CheckpointPath { get => _training.CheckpointPath; init => _training = _training with { CheckpointPath = value }; }

    /// <summary>Write the checkpoint every this many steps (0: only when stopping or finishing). Needs <see cref="CheckpointPath"/>. Default 0.</summary>
    public int CheckpointEvery { get => _training.CheckpointEvery; init => _training = _training with { CheckpointEvery = value }; }

    /// <summary>Report progress (losses, learning rate, throughput) to <c>mlContext.Log</c> every this many steps, and at the last. Default <see cref="PretrainingOptions.DefaultReportEvery"/> (10).</summary>
    public int ReportEvery { get => _training.ReportEvery; init => _training = _training with { ReportEvery = value }; }

    /// <summary>
    /// Per-channel RGB mean subtracted from [0, 1] pixels, stored in the model. Default CIFAR-10's (0.4914, 0.4822, 0.4465).
    /// Not used when <see cref="InitModelFile"/> is set (the file's is).
    /// </summary>
    public IReadOnlyList<float> Mean { get => _training.Mean; init => _training = _training with { Mean = value }; }

    /// <summary>
    /// Per-channel RGB standard deviation, stored in the model. Default CIFAR-10's (0.2470, 0.2435, 0.2616). Not used when
    /// <see cref="InitModelFile"/> is set (the file's is).
    /// </summary>
    public IReadOnlyList<float> Std { get => _training.Std; init => _training = _training with { Std = value }; }

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

    /// <summary>
    /// The training settings of a run: <see cref="Training"/> with <paramref name="seed"/> and <paramref name="device"/>,
    /// continuing from <see cref="InitModelFile"/> when it is set.
    /// </summary>
    /// <exception cref="ModelFileException"><see cref="InitModelFile"/> is missing or not a valid model file.</exception>
    internal PretrainingOptions ToTraining(long seed, string device)
    {
        var training = _training with { Seed = seed, Device = device, InitFrom = null };
        return InitModelFile is { } init ? training.ContinuingFrom(init) : training;
    }

    /// <summary>The method, checked to be self-supervised.</summary>
    /// <exception cref="ArgumentException">Unknown method, or one that needs labels.</exception>
    private MethodConfig RegisteredMethod()
    {
        var method = MethodRegistry.Get(Method);
        if (method.RequiresLabels)
        {
            throw new ArgumentException(
                $"Method '{Method}' needs class labels; the ML.NET pretraining estimator is self-supervised. Choose one of: {string.Join(", ", MethodRegistry.Names.Where(n => !MethodRegistry.Get(n).RequiresLabels))} (then train a classifier on the featurizer's output with an ML.NET trainer).",
                nameof(Method));
        }

        return method;
    }

    /// <summary>The method with its heads sized for <paramref name="encoder"/> (<see cref="HeadSizes"/>, else the CLI's rule).</summary>
    internal MethodConfig ResolveMethod(ResNetEncoderConfig encoder) => RegisteredMethod().SizedFor(encoder, HeadSizes);

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
        _ = RegisteredMethod();
        if (InitModelFile is null)
        {
            var encoder = ResolveEncoder();
            encoder.Validate();
            if (HeadSizes is null && encoder.Channels < 16)
                throw new ArgumentException($"The encoder has {encoder.Channels} channels, too few for heads sized to it (at least 16); set HeadSizes.", nameof(HeadSizes));
        }
        else
        {
            EncoderConfig?.Validate();  // with an init file, the encoder is checked when the file is read, at Fit
        }

        _training.Validate();
    }
}
