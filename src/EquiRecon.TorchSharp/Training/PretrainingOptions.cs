using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.TorchSharp.Training;

/// <summary>
/// How to run pretraining: the one record of training settings, with every default written here once. The ML.NET
/// <c>EquiReconPretrainingOptions</c> wraps one of these, and the CLI's <c>pretrain</c> and budgets build one, so the same
/// settings train the same model everywhere (the method's heads follow <see cref="Methods.HeadSizes.For"/>, its provenance
/// <see cref="Pretrainer.Provenance"/>).
/// </summary>
public sealed record PretrainingOptions
{
    /// <summary>The default of <see cref="Steps"/>: 1000.</summary>
    public const int DefaultSteps = 1000;

    /// <summary>The default of <see cref="BatchSize"/>: 256.</summary>
    public const int DefaultBatchSize = 256;

    /// <summary>The default of <see cref="LearningRate"/>: 1e-3.</summary>
    public const double DefaultLearningRate = 1e-3;

    /// <summary>The default of <see cref="WeightDecay"/>: 1e-4.</summary>
    public const double DefaultWeightDecay = 1e-4;

    /// <summary>The default of <see cref="ReportEvery"/>: 10.</summary>
    public const int DefaultReportEvery = 10;

    /// <summary>Optimizer steps in all (default <see cref="DefaultSteps"/>, 1000). One step sees <see cref="BatchSize"/> images, two views each.</summary>
    public int Steps { get; init; } = DefaultSteps;

    /// <summary>Images per step (default <see cref="DefaultBatchSize"/>, 256; the last incomplete batch of an epoch is dropped).</summary>
    public int BatchSize { get; init; } = DefaultBatchSize;

    /// <summary>Peak AdamW learning rate (default <see cref="DefaultLearningRate"/>, 1e-3; warm-up, then cosine decay).</summary>
    public double LearningRate { get; init; } = DefaultLearningRate;

    /// <summary>AdamW decoupled weight decay (default <see cref="DefaultWeightDecay"/>, 1e-4).</summary>
    public double WeightDecay { get; init; } = DefaultWeightDecay;

    /// <summary>Fraction of <see cref="Steps"/> spent in linear warm-up (default 0.05).</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>Final learning rate of the cosine decay as a fraction of the peak (default 0.01).</summary>
    public double MinLearningRateRatio { get; init; } = 0.01;

    /// <summary>Clip the global gradient norm to this value; null disables clipping (default 3).</summary>
    public double? GradientClipNorm { get; init; } = 3.0;

    /// <summary>Device: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c> (read by <see cref="Runtime.ComputeDevice"/>; the trainer checks it is available).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Intra-op CPU threads; null keeps libtorch's default. Bit-identical CPU runs need the same value.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// Seed of initialization, data order and augmentations (default 0). Same seed, same threads, same CPU and oneDNN
    /// level → the same numbers where oneDNN's kernels are deterministic; for runs that must be bit-identical set
    /// <see cref="Deterministic"/>.
    /// </summary>
    public long Seed { get; init; }

    /// <summary>
    /// Require a deterministic process (default false): oneDNN capped at SSE4.1, whose kernels gave the same bits in every
    /// measured run, at about 2.5× the ResNet-18 training time of the default AVX2 (docs/benchmarks.md, "Determinism").
    /// oneDNN fixes its level once per process, so the trainer throws <see cref="InvalidOperationException"/> if libtorch
    /// already runs without the cap: set <c>EQUIRECON_DETERMINISTIC=1</c> in the environment, or call
    /// <see cref="Runtime.TorchNative.EnsureLoaded(bool)"/> with <c>true</c> first. CPU only.
    /// </summary>
    public bool Deterministic { get; init; }

    /// <summary>
    /// The encoder's arithmetic (default <see cref="TrainingPrecision.Fp32"/>). <see cref="TrainingPrecision.Bf16"/>
    /// computes the encoder in bfloat16 on float32 master weights; on CPU it needs oneDNN's AVX-512 BF16 kernels
    /// (<c>DNNL_MAX_CPU_ISA=ALL</c> on a CPU with them: below that level bfloat16 runs on reference kernels ~200× slower,
    /// and the trainer refuses it). Measured in docs/benchmarks.md, "bf16".
    /// </summary>
    public TrainingPrecision Precision { get; init; }

    /// <summary>Write a checkpoint every this many steps (0 = only when stopping or finishing). Needs <see cref="CheckpointPath"/>.</summary>
    public int CheckpointEvery { get; init; }

    /// <summary>Where the checkpoint is written (atomically); null disables checkpoints.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// Skipped steps in a row after which training stops with <see cref="TrainingDivergedException"/> (default
    /// <see cref="FiniteStepGuard.DefaultMaxConsecutiveSkips"/>, 5). A step whose loss or gradient norm is not finite is
    /// recomputed once and, still not finite, skipped and counted (<see cref="Pretrainer.SkippedSteps"/>); a run that
    /// diverged fails every step and stops here (docs/benchmarks.md, "The finite-step guard").
    /// </summary>
    public int MaxConsecutiveSkippedSteps { get; init; } = FiniteStepGuard.DefaultMaxConsecutiveSkips;

    /// <summary>Report progress every this many steps (default <see cref="DefaultReportEvery"/>, 10), and at the last step.</summary>
    public int ReportEvery { get; init; } = DefaultReportEvery;

    /// <summary>Per-channel RGB mean subtracted from [0, 1] pixels (default CIFAR-10's); within the model file's bounds (docs/method.md), checked by <see cref="Validate"/>.</summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageTensors.Cifar10Mean;

    /// <summary>Per-channel RGB standard deviation (default CIFAR-10's); within the model file's bounds (docs/method.md), checked by <see cref="Validate"/>.</summary>
    public IReadOnlyList<float> Std { get; init; } = ImageTensors.Cifar10Std;

    /// <summary>
    /// A <c>.equirecon</c> model file whose encoder weights and BatchNorm running statistics initialise the encoder
    /// before step 0 (the method's heads are initialised from <see cref="Seed"/> as usual). Its architecture must equal
    /// the trainer's encoder, and <see cref="Mean"/> and <see cref="Std"/> must equal its normalisation (set all three
    /// with <see cref="ContinuingFrom"/>). Default <see langword="null"/>: random initialisation.
    /// </summary>
    public string? InitFrom { get; init; }

    /// <summary>
    /// Leading encoder stages kept fixed (default 0: nothing frozen). <c>k ≥ 1</c> freezes the stem (<c>conv1</c>,
    /// <c>bn1</c>) and the residual stages <c>layer1</c> … <c>layerk</c>: their parameters get no gradient and are not
    /// optimised, and their BatchNorm layers stay in eval mode (running statistics fixed). At most the encoder's number
    /// of stages. Usually combined with <see cref="InitFrom"/>.
    /// </summary>
    public int FrozenStages { get; init; }

    /// <summary>
    /// These options continuing from the model file <paramref name="modelFile"/>: <see cref="InitFrom"/> set to it and
    /// <see cref="Mean"/> and <see cref="Std"/> to its manifest's normalisation (only the manifest is read here; the
    /// trainer loads and checks the weights).
    /// </summary>
    /// <exception cref="ModelFileException">The file is missing, not a model file, or its manifest is invalid.</exception>
    public PretrainingOptions ContinuingFrom(string modelFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFile);
        var manifest = ModelFile.ReadManifest(modelFile);
        return this with { InitFrom = modelFile, Mean = manifest.Mean.ToArray(), Std = manifest.Std.ToArray() };
    }

    /// <summary>Checks every option; throws naming the option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Steps, nameof(Steps));
        _ = Runtime.ComputeDevice.Parse(Device, nameof(Device));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        if (!double.IsFinite(LearningRate) || LearningRate <= 0)
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be positive and finite.");
        if (!double.IsFinite(WeightDecay) || WeightDecay < 0)
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "The weight decay must be non-negative and finite.");
        if (WarmupFraction is < 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, "WarmupFraction must lie in [0, 1].");
        if (GradientClipNorm is <= 0)
            throw new ArgumentOutOfRangeException(nameof(GradientClipNorm), GradientClipNorm, "GradientClipNorm must be positive (or null to disable).");
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointEvery, nameof(CheckpointEvery));
        if (CheckpointEvery > 0 && string.IsNullOrWhiteSpace(CheckpointPath))
            throw new ArgumentException("CheckpointEvery is set but CheckpointPath is not.", nameof(CheckpointPath));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ReportEvery, nameof(ReportEvery));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConsecutiveSkippedSteps, nameof(MaxConsecutiveSkippedSteps));
        if (Threads is <= 0)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be positive.");
        // The run's statistics go into its model file: the model file's rule, checked before training rather than at the save.
        if (ModelFileLimits.MeanProblem(Mean) is { } meanProblem)
            throw new ArgumentException($"Mean: {meanProblem}.", nameof(Mean));
        if (ModelFileLimits.StdProblem(Std) is { } stdProblem)
            throw new ArgumentException($"Std: {stdProblem}.", nameof(Std));
        if (InitFrom is not null && string.IsNullOrWhiteSpace(InitFrom))
            throw new ArgumentException("InitFrom is blank; give a model file or null.", nameof(InitFrom));
        ArgumentOutOfRangeException.ThrowIfNegative(FrozenStages, nameof(FrozenStages));
        if (!Enum.IsDefined(Precision))
            throw new ArgumentOutOfRangeException(nameof(Precision), Precision, "Precision must be Fp32 or Bf16.");
    }
}
