using System.Globalization;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Methods;

namespace EquiRecon.Cli.Running;

/// <summary>
/// A named compute budget of the natural-image tables (<c>reproduce --table imagenette|transfer</c>): continued
/// pretraining of the ResNet-18 imported from ML.NET's ImageNet featurizer (<c>mlnet-resnet18</c>) on Imagenette, and
/// the probes that score it. Every trained row uses the same schedule; <see cref="Describe"/> goes into the report.
/// </summary>
internal sealed record NaturalImageBudget
{
    /// <summary>The <c>--budget</c> name.</summary>
    public required string Name { get; init; }

    /// <summary>What the budget is for and how long it takes (one line for the report).</summary>
    public required string Purpose { get; init; }

    /// <summary>Side of the square training and probe images in pixels.</summary>
    public required int ImageSize { get; init; }

    /// <summary>Leading stages kept frozen during continued pretraining (<see cref="TorchSharp.Training.PretrainingOptions.FrozenStages"/>).</summary>
    public required int FrozenStages { get; init; }

    /// <summary>Optimizer steps of every trained row.</summary>
    public required int Steps { get; init; }

    /// <summary>Images per step.</summary>
    public required int BatchSize { get; init; }

    /// <summary>Peak AdamW learning rate (5 % warm-up, cosine).</summary>
    public required double LearningRate { get; init; }

    /// <summary>Widths of the methods' heads.</summary>
    public required HeadSizes Heads { get; init; }

    /// <summary>
    /// Imagenette training images held out of pretraining (class-balanced, seeded): the probes and the linear
    /// classifier train on them, so every probe pair comes from images no row was pretrained on.
    /// </summary>
    public required int ProbeTrainImages { get; init; }

    /// <summary>Imagenette test images (class-balanced) the probes and the linear classifier are scored on.</summary>
    public required int ProbeTestImages { get; init; }

    /// <summary>At most this many of the remaining training images are pretrained on (null: all of them).</summary>
    public int? PretrainImages { get; init; }

    /// <summary>Hidden width of the two hidden layers of the regression probe (the papers': 1024).</summary>
    public int ProbeHidden { get; init; } = 1024;

    /// <summary>Epochs of the regression probes.</summary>
    public required int ProbeEpochs { get; init; }

    /// <summary>Epochs of the linear classification probes.</summary>
    public required int LinearEpochs { get; init; }

    /// <summary>Transfer table: training / test images taken (class-balanced) from DTD10, CIFAR-10 (upsampled) and Imagenette.</summary>
    public required int TransferTrainImages { get; init; }

    /// <summary>Transfer table: test images per classification set.</summary>
    public required int TransferTestImages { get; init; }

    /// <summary>Transfer table: CamVid images used to fit (SegNet train split) and to score (test split); null = all.</summary>
    public int? CamVidTrainImages { get; init; }

    /// <summary>Transfer table: CamVid test images; null = all 233.</summary>
    public int? CamVidTestImages { get; init; }

    /// <summary>Transfer table: epochs of the CamVid segmentation head (a probe of the frozen token map, see <see cref="CamVidTransfer"/>).</summary>
    public int CamVidEpochs { get; init; } = 30;

    /// <summary>Report progress every this many steps.</summary>
    public int ReportEvery { get; init; } = 5;

    /// <summary>libtorch intra-op threads (null: libtorch's default).</summary>
    public int? Threads { get; init; }

    /// <summary>Checks the record; throws naming the field.</summary>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name, nameof(Name));
        ArgumentOutOfRangeException.ThrowIfLessThan(ImageSize, 32, nameof(ImageSize));
        ArgumentOutOfRangeException.ThrowIfNegative(FrozenStages, nameof(FrozenStages));
        ArgumentOutOfRangeException.ThrowIfLessThan(Steps, 1, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProbeTrainImages, 10, nameof(ProbeTrainImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(ProbeTestImages, 10, nameof(ProbeTestImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(TransferTrainImages, 10, nameof(TransferTrainImages));
        ArgumentOutOfRangeException.ThrowIfLessThan(TransferTestImages, 10, nameof(TransferTestImages));
        Heads.Decoder.Validate();
        RegressionProbe(0).Validate();
        LinearProbe(0).Validate();
    }

    /// <summary>The regression (transformation) probe: MLP 2d → hidden → hidden → k, Adam, cosine schedule.</summary>
    public ProbeOptions RegressionProbe(long seed) => new() { Hidden = ProbeHidden, Epochs = ProbeEpochs, Seed = seed };

    /// <summary>The linear classification probe.</summary>
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
            ("encoder", "mlnet-resnet18: ML.NET's ImageNet ResNet-18 (Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1) imported by `equirecon import`; 512 = 256 invariant + 256 equivariant"),
            ("image size", I($"{ImageSize} px (Imagenette's 160-px images resized and centre-cropped)")),
            ("frozen", FrozenStages == 0 ? "nothing" : I($"stem and stages 1–{FrozenStages} (weights and BatchNorm statistics)")),
            ("pretraining", I($"{Steps} steps × {BatchSize} images, AdamW lr {LearningRate:G3} (5 % warm-up, cosine), from the imported weights; pretraining images: Imagenette train minus the held-out probe images{(PretrainImages is int p ? I($", at most {p}") : "")}")),
            ("heads", I($"VICReg expander {Heads.ExpanderWidth}, SIE projector {Heads.ProjectorWidth}, decoder width {d.Width} / {d.Heads} heads / depth {d.Depth}")),
            ("probe images", I($"{ProbeTrainImages} Imagenette train images held out of pretraining (probe-train), {ProbeTestImages} Imagenette test images (probe-test)")),
            ("regression probe", I($"MLP 2d → {ProbeHidden} → {ProbeHidden} → k on the pair of embeddings, inputs and targets standardised, {ProbeEpochs} epochs, Adam 1e-3")),
            ("classification", I($"linear probe {LinearEpochs} epochs on the held-out train images' embeddings, scored on the test images")),
            ("transfer", I($"linear probes on {TransferTrainImages} train / {TransferTestImages} test images per set; CamVid {(CamVidTrainImages is int a ? a.ToString(CultureInfo.InvariantCulture) : "367")} train / {(CamVidTestImages is int b ? b.ToString(CultureInfo.InvariantCulture) : "233")} test images, whole frames resized to {ImageSize} px high, a class-balanced head on the frozen token map ({CamVidEpochs} epochs) through the ML.NET Segmentation step, mIoU over the 11 classes with void ignored, scored at 480 × 360")),
            ("threads", Threads is int t ? I($"{t}") : "libtorch default (one per core)"),
        ];
    }
}

/// <summary>The budgets of the natural-image tables, named like <see cref="Budgets"/>.</summary>
internal static class NaturalImageBudgets
{
    /// <summary>
    /// <c>smoke</c>: proves that the pipeline runs (tests, CI): 64-px images, 2 steps of 8 images, tiny probe sets.
    /// The numbers mean nothing.
    /// </summary>
    public static NaturalImageBudget Smoke { get; } = new()
    {
        Name = "smoke",
        Purpose = "pipeline check: minutes on 2 CPU cores; numbers are not meaningful",
        ImageSize = 64,
        FrozenStages = 3,
        Steps = 2,
        BatchSize = 8,
        LearningRate = 1e-4,
        Heads = new HeadSizes(ExpanderWidth: 128, ProjectorWidth: 64, Decoder: new ReconstructionDecoderOptions(Width: 32, Heads: 2, Depth: 1)),
        ProbeTrainImages = 40,
        ProbeTestImages = 20,
        PretrainImages = 64,
        ProbeHidden = 64,
        ProbeEpochs = 3,
        LinearEpochs = 5,
        TransferTrainImages = 40,
        TransferTestImages = 20,
        CamVidTrainImages = 4,
        CamVidTestImages = 2,
        CamVidEpochs = 2,
        ReportEvery = 1,
    };

    /// <summary>
    /// <c>small</c>: the CPU budget (at most 90 minutes for the Imagenette table on 2 cores), chosen from throughput measured
    /// on the 2 cores while other builds ran (load 5–13): a training step of 64 images at 128 px with the stem and stages
    /// 1–2 frozen took 7.8 s for vicreg and 18 s for equirecon (decoder depth 2; depth 1 here); a ResNet-18 forward ran at
    /// 15–40 images/s; one papers-size probe fit (MLP 1024 × 1024, 20 epochs of 1,200 pairs) took about 30 s, and every row
    /// needs 18 of them (six transformations × three parts). So: the stem and stages 1–3 are frozen (stage 4, 8.4 M of the
    /// 16.3 M weights, and the heads train), 80 steps of 64 images per row (about 0.6 epoch of the 8,669 pretraining
    /// images), 800 / 400 probe images (7 × 1,200 forward passes per row: x once, g(x) per transformation) and 10 probe
    /// epochs. 128 px is the smallest size the issue allows and keeps a 4 × 4 token grid for the reconstruction.
    /// </summary>
    public static NaturalImageBudget Small { get; } = new()
    {
        Name = "small",
        Purpose = "continued pretraining on CPU: at most about 90 min for the Imagenette table on 2 cores",
        ImageSize = 128,
        FrozenStages = 3,
        Steps = 80,
        BatchSize = 64,
        LearningRate = 3e-4,
        Heads = new HeadSizes(ExpanderWidth: 1024, ProjectorWidth: 512, Decoder: new ReconstructionDecoderOptions(Width: 256, Heads: 4, Depth: 1)),
        ProbeTrainImages = 800,
        ProbeTestImages = 400,
        ProbeEpochs = 10,
        LinearEpochs = 50,
        TransferTrainImages = 1000,
        TransferTestImages = 500,
        // CamVid with 30 head epochs took 281 s per encoder on the loaded 2 cores, most of it the head: 15 epochs.
        CamVidEpochs = 15,
        ReportEvery = 5,
    };

    /// <summary>
    /// <c>full</c>: for a GPU — 224 px, nothing frozen, 30 epochs of Imagenette, the papers' probe sizes. Defined for
    /// reference; not run on the development machines.
    /// </summary>
    public static NaturalImageBudget Full { get; } = new()
    {
        Name = "full",
        Purpose = "for a GPU: 224 px, nothing frozen, about 30 epochs of Imagenette",
        ImageSize = 224,
        FrozenStages = 0,
        Steps = 30 * ((9469 - 2000) / 256),
        BatchSize = 256,
        LearningRate = 3e-4,
        Heads = new HeadSizes(ExpanderWidth: 2048, ProjectorWidth: 1024, Decoder: new ReconstructionDecoderOptions()),
        ProbeTrainImages = 2000,
        ProbeTestImages = 3925,
        ProbeEpochs = 100,
        LinearEpochs = 100,
        TransferTrainImages = 5000,
        TransferTestImages = 2000,
        ReportEvery = 20,
    };

    /// <summary>All budgets, cheapest first (the same names as <see cref="Budgets.Names"/>).</summary>
    public static IReadOnlyList<NaturalImageBudget> All { get; } = [Smoke, Small, Full];

    /// <summary>The budget called <paramref name="name"/>.</summary>
    public static NaturalImageBudget Get(string name) =>
        All.FirstOrDefault(b => b.Name == name)
        ?? throw new CliException($"Option '--budget': unknown budget '{name}'. Choose one of: {string.Join(", ", All.Select(b => b.Name))}.");
}
