using System.Globalization;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.Cli;

/// <summary>
/// A named compute budget of <c>equirecon reproduce</c>: everything that fixes how long one table takes —
/// the encoder, the pretraining schedule (the same for every row), the head sizes, and the probes' data and
/// epochs. Every row of a table trains on the same budget. <see cref="Describe"/> is printed into the report.
/// </summary>
internal sealed record Budget
{
    /// <summary>The <c>--budget</c> name.</summary>
    public required string Name { get; init; }

    /// <summary>What the budget is for and how long it takes (one line for the report).</summary>
    public required string Purpose { get; init; }

    /// <summary>How the encoder is called in reports: a preset name of <see cref="EncoderNames"/> or a short description.</summary>
    public required string EncoderName { get; init; }

    /// <summary>The encoder architecture.</summary>
    public required ResNetEncoderConfig Encoder { get; init; }

    /// <summary>Side of the square training and probe images in pixels (default 32, CIFAR's).</summary>
    public int ImageSize { get; init; } = 32;

    /// <summary>Pretraining images, taken class-balanced from the training split (at most the split's size).</summary>
    public required int TrainImages { get; init; }

    /// <summary>Optimizer steps of every row.</summary>
    public required int Steps { get; init; }

    /// <summary>Images per step.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Peak AdamW learning rate (warm-up + cosine, see <see cref="PretrainingOptions"/>).</summary>
    public required double LearningRate { get; init; }

    /// <summary>Widths of the methods' heads (VICReg expander, SIE projectors, reconstruction decoder).</summary>
    public required HeadSizes Heads { get; init; }

    /// <summary>
    /// Pairs (image, transformed image) the transformation probes train on. Their images come from the test split,
    /// which no row pretrains on (a seeded subset, disjoint from the probe-test images).
    /// </summary>
    public required int ProbeTrainPairs { get; init; }

    /// <summary>Pairs the transformation probes are scored on: the other test-split images.</summary>
    public required int ProbeTestPairs { get; init; }

    /// <summary>Hidden width of the regression probe MLP <c>2d → hidden → hidden → k</c> (<see cref="ProbeOptions.Hidden"/>; the papers' 1024).</summary>
    public required int ProbeHidden { get; init; }

    /// <summary>Epochs of the regression probe (Adam 1e-3 with a cosine schedule, inputs and targets standardised).</summary>
    public required int ProbeEpochs { get; init; }

    /// <summary>Training images of the classification probes (a seeded subset of the training split); they are scored on every test image read.</summary>
    public required int ClassifierTrainImages { get; init; }

    /// <summary>Test-split images read: <see cref="ProbeTrainPairs"/> + <see cref="ProbeTestPairs"/>.</summary>
    public int TestImages => ProbeTrainPairs + ProbeTestPairs;

    /// <summary>Epochs of the linear classification probe.</summary>
    public required int LinearEpochs { get; init; }

    /// <summary>Neighbours of the kNN classifier (default 20).</summary>
    public int KnnK { get; init; } = 20;

    /// <summary>Device the budget is meant for (default <c>cpu</c>; <c>--device</c> overrides it).</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Report progress every this many steps.</summary>
    public int ReportEvery { get; init; } = 10;

    /// <summary>libtorch intra-op threads (null: libtorch's default, one per core; <c>--threads</c> overrides it).</summary>
    public int? Threads { get; init; }

    /// <summary>The encoder's arithmetic during pretraining (default float32; <c>reproduce --precision</c>).</summary>
    public TrainingPrecision Precision { get; init; }

    /// <summary>Checks the record; throws naming the field.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name, nameof(Name));
        ArgumentNullException.ThrowIfNull(Encoder, nameof(Encoder));
        ArgumentNullException.ThrowIfNull(Heads, nameof(Heads));
        Encoder.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, 8, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(TrainImages, BatchSize, nameof(TrainImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProbeTrainPairs, 2, nameof(ProbeTrainPairs));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProbeTestPairs, 2, nameof(ProbeTestPairs));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClassifierTrainImages, 2, nameof(ClassifierTrainImages));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ClassifierTrainImages, TrainImages, nameof(ClassifierTrainImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(KnnK, 1, nameof(KnnK));
        if (Threads is < 1)
            throw new ArgumentOutOfRangeException(nameof(Threads), Threads, $"Budget '{Name}': Threads must be positive (or null for libtorch's default).");
        if (!EquiRecon.TorchSharp.Runtime.ComputeDevice.TryParse(Device, out _))
            throw new ArgumentException($"Budget '{Name}': '{Device}' is not a device.", nameof(Device));
        if (ImageSize % Encoder.TokenGridSize(ImageSize) != 0)
            throw new ArgumentException($"Budget '{Name}': {ImageSize} px is not a multiple of the token grid {Encoder.TokenGridSize(ImageSize)} (the reconstruction patches).", nameof(ImageSize));
        Heads.Decoder.Validate();
        ToPretrainingOptions(seed: 0, checkpointPath: null).Validate();
        RegressionProbe(seed: 0).Validate();
        LinearProbe(seed: 0).Validate();
        // Every method of the tables must build with these heads.
        foreach (var method in MethodRegistry.All)
            method.WithHeadSizes(Heads).Validate();
    }

    /// <summary>The pretraining options of one row.</summary>
    public PretrainingOptions ToPretrainingOptions(long seed, string? checkpointPath, string? device = null, int? threads = null) => new()
    {
        Steps = Steps,
        BatchSize = BatchSize,
        LearningRate = LearningRate,
        Seed = seed,
        Device = device ?? Device,
        Threads = threads ?? Threads,
        CheckpointPath = checkpointPath,
        CheckpointEvery = checkpointPath is null ? 0 : Running.PretrainRunner.TenthOf(Steps),
        ReportEvery = ReportEvery,
        Precision = Precision,
    };

    /// <summary>The regression (transformation) probe's options.</summary>
    public ProbeOptions RegressionProbe(long seed) => new() { Hidden = ProbeHidden, Epochs = ProbeEpochs, CosineSchedule = true, Seed = seed };

    /// <summary>The linear classification probe's options.</summary>
    public LinearProbeOptions LinearProbe(long seed) => new() { Epochs = LinearEpochs, Seed = seed };

    /// <summary>The budget as (field, value) lines, printed into reports.</summary>
    public IReadOnlyList<(string Field, string Value)> Describe()
    {
        string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        var d = Heads.Decoder;
        return
        [
            ("name", Name),
            ("purpose", Purpose),
            ("encoder", I($"{EncoderName}: {Encoder.Stem} stem, widths [{string.Join(", ", Encoder.Widths)}], blocks [{string.Join(", ", Encoder.BlocksPerStage)}], split {Encoder.Split.InvariantChannels} invariant + {Encoder.Split.EquivariantChannels} equivariant")),
            ("image size", I($"{ImageSize} px")),
            ("pretraining images", I($"{TrainImages} (class-balanced)")),
            ("steps per row", I($"{Steps} (≈ {(double)Steps * BatchSize / TrainImages:0.##} epochs)")),
            ("batch size", I($"{BatchSize}")),
            ("learning rate", I($"{LearningRate:G4} (AdamW, 5 % warm-up, cosine)")),
            ("heads", I($"VICReg expander {Heads.ExpanderWidth}, SIE projector {Heads.ProjectorWidth}, decoder width {d.Width} / {d.Heads} heads / depth {d.Depth}")),
            ("probe pairs", I($"{ProbeTrainPairs} probe-train and {ProbeTestPairs} probe-test pairs, disjoint, from test-split images no row pretrained on; the same transformation draws for every row of a seed")),
            ("regression probe", I($"MLP 2d → {ProbeHidden} → {ProbeHidden} → k on the concatenated pair of embeddings, inputs and targets standardised on probe-train, {ProbeEpochs} epochs, Adam 1e-3 with a cosine schedule, batch 256")),
            ("classification", I($"linear probe {LinearEpochs} epochs (Adam 1e-3) and kNN k = {KnnK}, trained on {ClassifierTrainImages} training-split images, scored on the {TestImages} test images")),
            ("device", Device),
            ("threads", Threads is int t ? I($"{t}") : "libtorch default (one per core)"),
            ("precision", CliOptions.PrecisionNames[(int)Precision]),
        ];
    }
}

/// <summary>
/// The budgets of <c>equirecon reproduce</c>. Timings are for the 2-core CPU of the development machines
/// unless stated; they were measured (or, for <c>small</c>, estimated conservatively) on a shared machine.
/// </summary>
internal static class Budgets
{
    /// <summary>
    /// <c>smoke</c>: proves that the whole pipeline runs — 9 rows with evaluation in under 5 minutes on 2
    /// idle cores (measured: 1 min 39 s on the 2 shared cores of a development machine at load average 4). A tiny
    /// encoder (widths 8, 16, 32, 64; one block per stage), 48 steps of 64 images and one libtorch thread: the
    /// numbers say nothing about the methods.
    /// </summary>
    public static Budget Smoke { get; } = new()
    {
        Name = "smoke",
        Purpose = "pipeline check: all rows with evaluation in < 5 min on 2 CPU cores; numbers are not meaningful",
        EncoderName = "tiny",
        Encoder = new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16, 32, 64], [1, 1, 1, 1]),
        TrainImages = 2048,
        Steps = 48,
        BatchSize = 64,
        LearningRate = 2e-3,
        Heads = new HeadSizes(ExpanderWidth: 128, ProjectorWidth: 64, Decoder: new ReconstructionDecoderOptions(Width: 32, Heads: 2, Depth: 1)),
        // Shrunk from the papers' protocol (1024-wide MLP, 8,000 / 2,000 pairs) to fit CI; the report says so.
        ProbeTrainPairs = 1024,
        ProbeTestPairs = 500,
        ProbeHidden = 64,
        ProbeEpochs = 20,
        ClassifierTrainImages = 1024,
        LinearEpochs = 30,
        ReportEvery = 16,
        // The tiny model's tensors are too small to gain from a second thread; one thread also keeps the run
        // fast on a busy shared machine, where two spinning OpenMP threads were 2–4× slower.
        Threads = 1,
    };

    /// <summary>
    /// <c>small</c>: one full epoch of CIFAR-10 per row — all 50,000 training images, 195 steps of 256 — with the papers'
    /// probe protocol (MLP 1024 × 1024 on 8,000 / 2,000 pairs of test-split images). Measured on the idle 2-core
    /// development VM: <c>small-cifar-resnet</c> trains at 55–70 image pairs/s (benchmark <c>--batch 256 --steps 2</c>),
    /// so a row trains in 12–15 minutes and the evaluation (three representation parts) adds about 5 (docs/results/cifar10.md).
    /// </summary>
    public static Budget Small { get; } = new()
    {
        Name = "small",
        Purpose = "one epoch of CIFAR-10 per row (195 steps of 256) with the papers' probes: about 15–20 min per row on 2 CPU cores",
        EncoderName = "small-cifar-resnet",
        Encoder = ResNetEncoderConfig.SmallCifarResNet,
        TrainImages = 50_000,
        Steps = 195,
        BatchSize = 256,
        LearningRate = 2e-3,
        Heads = new HeadSizes(ExpanderWidth: 512, ProjectorWidth: 256, Decoder: new ReconstructionDecoderOptions(Width: 128, Heads: 4, Depth: 1)),
        ProbeTrainPairs = 8000,
        ProbeTestPairs = 2000,
        ProbeHidden = 1024,
        ProbeEpochs = 20,
        ClassifierTrainImages = 10_000,
        LinearEpochs = 50,
        ReportEvery = 5,
    };

    /// <summary>
    /// <c>full</c>: the papers' scale, for a GPU — ResNet-18 (CIFAR stem), all 50,000 training images,
    /// 500 epochs of batch 256, paper-size heads, probes on the full splits. Defined for reference; not run
    /// on the development machines.
    /// </summary>
    public static Budget Full { get; } = new()
    {
        Name = "full",
        Purpose = "paper scale, for a GPU: ResNet-18, 500 epochs of batch 256 on all of CIFAR-10",
        EncoderName = "cifar-resnet18",
        Encoder = ResNetEncoderConfig.CifarResNet18,
        TrainImages = 50_000,
        Steps = 500 * (50_000 / 256),
        BatchSize = 256,
        LearningRate = 1e-3,
        Heads = new HeadSizes(ExpanderWidth: 2048, ProjectorWidth: 1024, Decoder: new ReconstructionDecoderOptions()),
        ProbeTrainPairs = 8000,
        ProbeTestPairs = 2000,
        ProbeHidden = 1024,
        ProbeEpochs = 100,
        ClassifierTrainImages = 50_000,
        LinearEpochs = 100,
        Device = "cuda",
        ReportEvery = 50,
    };

    /// <summary>All budgets, cheapest first.</summary>
    public static IReadOnlyList<Budget> All { get; } = [Smoke, Small, Full];

    /// <summary>The names, cheapest first.</summary>
    public static IReadOnlyList<string> Names { get; } = All.Select(b => b.Name).ToArray();

    /// <summary>The budget called <paramref name="name"/>.</summary>
    public static Budget Get(string name) =>
        All.FirstOrDefault(b => b.Name == name)
        ?? throw new CliException($"Option '--budget': unknown budget '{name}'. Choose one of: {string.Join(", ", Names)}.");
}
