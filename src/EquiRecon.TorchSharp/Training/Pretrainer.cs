using System.Diagnostics;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Training;

/// <summary>
/// The pretraining loop, the same for every method: sample a batch of uint8 images, make two
/// augmented views on the device, run <see cref="PretrainingModel"/>, step AdamW under a
/// warm-up + cosine schedule with gradient clipping. Checkpoints (atomic) hold model, optimizer,
/// schedule position, RNG state and data position, so <see cref="Resume"/> continues exactly.
/// </summary>
public sealed class Pretrainer : IDisposable
{
    private readonly ImageDataset _data;
    private readonly AugmentationPipeline _pipeline;
    private readonly global::TorchSharp.Modules.OptimizerHelper _optimizer;
    private readonly WarmupCosineSchedule _schedule;
    private readonly Generator _generator;
    private readonly Tensor _mean;
    private readonly Tensor _std;
    private readonly int _stepsPerEpoch;
    private readonly global::TorchSharp.Modules.Parameter[] _trainable;
    private readonly FiniteStepGuard _guard;
    private string? _dataSha256;

    /// <summary>
    /// Builds model, optimizer and augmentations; initialization is seeded by <see cref="PretrainingOptions.Seed"/>. Temporary
    /// files a killed run left beside <see cref="PretrainingOptions.CheckpointPath"/> (<see cref="AtomicFile"/>'s naming) are removed.
    /// </summary>
    /// <exception cref="ArgumentException">An option, the method or the data does not fit (also: the <see cref="PretrainingOptions.InitFrom"/>
    /// file holds another architecture or normalisation, or <see cref="PretrainingOptions.FrozenStages"/> exceeds the encoder's stages); the message names it.</exception>
    /// <exception cref="ModelFileException">The <see cref="PretrainingOptions.InitFrom"/> file is missing, corrupt or invalid.</exception>
    /// <exception cref="DeviceUnavailableException"><see cref="PretrainingOptions.Device"/> is a CUDA device this machine does not have.</exception>
    /// <exception cref="InvalidOperationException"><see cref="PretrainingOptions.Deterministic"/> is set but this process already runs oneDNN without the deterministic cap.</exception>
    public Pretrainer(MethodConfig method, ResNetEncoderConfig encoder, PretrainingOptions options, ImageDataset data)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(data);
        options.Validate();
        method.Validate();
        if (method.RequiresLabels && data.ClassNames.Count < 2)
            throw new ArgumentException($"Method '{method.Name}' needs labeled data; the dataset has {data.ClassNames.Count} classes.", nameof(data));
        if (data.Count < options.BatchSize)
            throw new ArgumentException($"The dataset has {data.Count} images, fewer than one batch of {options.BatchSize}.", nameof(data));
        if (data.Height != data.Width)
            throw new ArgumentException($"Pretraining needs square images; the dataset's are {data.Height}×{data.Width}. Resize them when reading (ImageFolder.Read's imageSize).", nameof(data));
        if (data.Height < 8)
            throw new ArgumentException($"Images of {data.Height} px are too small.", nameof(data));
        if (options.FrozenStages > encoder.Stages)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FrozenStages, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"FrozenStages must lie in [0, {encoder.Stages}] (the encoder has {encoder.Stages} stages); got {options.FrozenStages}."));
        }

        TorchNative.EnsureLoaded(options.Deterministic);
        if (options.Threads is int threads)
            torch.set_num_threads(threads);
        Options = options;
        Device = ComputeDevice.Parse(options.Device, nameof(options.Device))
            .EnsureAvailable($"PretrainingOptions.Device is '{options.Device}'", "Use cpu, or run where CUDA is available.").ToTorch();
        if (options.Precision == TrainingPrecision.Bf16 && Device.type == DeviceType.CPU && !OneDnnCpuIsa.HasBFloat16Kernels)
        {
            throw new ArgumentException(
                $"Precision is Bf16, but oneDNN runs at {TorchNative.CpuIsa} in this process, which has no bfloat16 kernels (bfloat16 would run about 200× slower than float32). " +
                "Start the process with DNNL_MAX_CPU_ISA=ALL on a CPU with AVX-512 BF16, or train in Fp32 (docs/benchmarks.md, \"bf16\").", nameof(options));
        }
        _data = data;
        _stepsPerEpoch = data.Count / options.BatchSize;

        torch.manual_seed(options.Seed);
        Model = new PretrainingModel(method, encoder, data.Height, data.ClassNames.Count);
        try
        {
            if (options.InitFrom is { } initFrom)
                InitManifest = InitializeEncoder(Model, initFrom, options);
            Model.FreezeEncoderStages(options.FrozenStages);
        }
        catch
        {
            Model.Dispose();
            throw;
        }
        Model.to(Device);
        Model.train();
        if (options.Precision == TrainingPrecision.Bf16)
            Model.Encoder.ComputeType = ScalarType.BFloat16;
        _pipeline = AugmentationPipeline.Default(data.Height, [.. method.Augmentations]);
        _trainable = Model.parameters().Where(p => p.requires_grad).ToArray();
        _optimizer = optim.AdamW(_trainable, options.LearningRate, weight_decay: options.WeightDecay);
        _guard = new FiniteStepGuard(_trainable, Model, options.MaxConsecutiveSkippedSteps);
        var warmup = (int)Math.Round(options.WarmupFraction * options.Steps);
        _schedule = new WarmupCosineSchedule(options.LearningRate, options.Steps, warmup, options.MinLearningRateRatio);
        _generator = new Generator((ulong)options.Seed + 1, Device);
        _mean = tensor(options.Mean.ToArray(), device: Device).view(1, 3, 1, 1);
        _std = tensor(options.Std.ToArray(), device: Device).view(1, 3, 1, 1);
        if (options.CheckpointPath is { } checkpointPath)
            AtomicFile.RemoveStaleTemporaries(checkpointPath);
    }

    /// <summary>The manifest of <see cref="PretrainingOptions.InitFrom"/>, when the encoder was initialised from a model file.</summary>
    public ModelManifest? InitManifest { get; }

    /// <summary>The parameters the optimizer updates: all but those of the frozen encoder stages.</summary>
    internal IReadOnlyList<global::TorchSharp.Modules.Parameter> TrainableParameters => _trainable;

    /// <summary>The options this run uses.</summary>
    public PretrainingOptions Options { get; }

    /// <summary>The device the model lives on.</summary>
    public Device Device { get; }

    /// <summary>The encoder and the method's heads.</summary>
    public PretrainingModel Model { get; }

    /// <summary>Optimizer steps completed.</summary>
    public int Step { get; private set; }

    /// <summary>Passes over the data completed at <see cref="Step"/>.</summary>
    public int Epoch => Step / _stepsPerEpoch;

    /// <summary>
    /// Steps of this run (resumes included) whose first pass had a non-finite loss or gradient and whose recomputation
    /// was finite (docs/benchmarks.md, "The finite-step guard").
    /// </summary>
    public int RecomputedSteps => _guard.Recomputed;

    /// <summary>Steps of this run (resumes included) skipped because the recomputed pass was not finite either; the model was left unchanged.</summary>
    public int SkippedSteps => _guard.Skipped;

    /// <summary>The finite-step guard of this run (tests inject faults through it).</summary>
    internal FiniteStepGuard Guard => _guard;

    /// <summary>
    /// Creates a trainer and, when <paramref name="checkpointPath"/> exists, restores it from there.
    /// </summary>
    /// <exception cref="ModelFileException">The checkpoint is corrupt or was made by another configuration.</exception>
    public static Pretrainer Resume(MethodConfig method, ResNetEncoderConfig encoder, PretrainingOptions options, ImageDataset data, string checkpointPath)
    {
        var trainer = new Pretrainer(method, encoder, options, data);
        try
        {
            if (File.Exists(checkpointPath))
                Checkpoint.Load(checkpointPath, trainer.Model, trainer._optimizer, trainer._generator, trainer.Fingerprint(), (step, recomputed, skipped) =>
                {
                    trainer.Step = step;
                    trainer._guard.Restore(recomputed, skipped);
                });
            return trainer;
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
    }

    /// <summary>The image indices of optimizer step <paramref name="step"/>: a seeded permutation per epoch, consecutive slices.</summary>
    public Tensor BatchIndices(int step)
    {
        var epoch = step / _stepsPerEpoch;
        var slot = step % _stepsPerEpoch;
        using var epochGenerator = new Generator((ulong)(Options.Seed * 1_000_003 + epoch + 17));
        using var permutation = randperm(_data.Count, generator: epochGenerator);
        return permutation.narrow(0, (long)slot * Options.BatchSize, Options.BatchSize).clone();
    }

    /// <summary>Normalizes [0, 1] images <c>(B, 3, H, W)</c> with the run's mean and std.</summary>
    public Tensor Normalize(Tensor images) => (images - _mean) / _std;

    /// <summary>
    /// Trains until <see cref="PretrainingOptions.Steps"/> or cancellation. On cancellation (and at
    /// the end) writes the checkpoint when a path is set, then returns. A step whose loss or gradient is not finite is
    /// recomputed once, then skipped (<see cref="RecomputedSteps"/>, <see cref="SkippedSteps"/>); after
    /// <see cref="PretrainingOptions.MaxConsecutiveSkippedSteps"/> skipped steps in a row it throws
    /// <see cref="TrainingDivergedException"/>, keeping the last checkpoint.
    /// </summary>
    /// <returns>True when all steps are done, false when cancelled.</returns>
    public bool Train(IProgress<TrainingProgress>? progress = null, MetricsLog? log = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var lastReportTime = TimeSpan.Zero;
        var lastReportStep = Step;
        var startStep = Step;
        while (Step < Options.Steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                SaveCheckpointIfConfigured();
                return false;
            }
            var report = (Step + 1) % Options.ReportEvery == 0 || Step + 1 == Options.Steps;
            var lr = _schedule.At(Step);
            var losses = RunStep(report);
            if (Options.CheckpointEvery > 0 && Step % Options.CheckpointEvery == 0 && Step < Options.Steps)
                SaveCheckpointIfConfigured();
            if (losses is not null)
            {
                var elapsed = clock.Elapsed;
                var rate = (Step - lastReportStep) * Options.BatchSize / Math.Max(1e-9, (elapsed - lastReportTime).TotalSeconds);
                var perStep = elapsed.TotalSeconds / Math.Max(1, Step - startStep);
                var item = new TrainingProgress(Step, Options.Steps, Epoch, losses, lr, rate, elapsed, TimeSpan.FromSeconds(perStep * (Options.Steps - Step)))
                {
                    RecomputedSteps = RecomputedSteps,
                    SkippedSteps = SkippedSteps,
                };
                progress?.Report(item);
                log?.Write(item);
                lastReportTime = elapsed;
                lastReportStep = Step;
            }
        }
        SaveCheckpointIfConfigured();
        return true;
    }

    /// <summary>Runs up to <paramref name="count"/> more optimizer steps (never past <see cref="PretrainingOptions.Steps"/>), without reports or checkpoints.</summary>
    public void TrainSteps(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        for (int i = 0; i < count && Step < Options.Steps; i++)
            RunStep(report: false);
    }

    /// <summary>One guarded optimizer step (<see cref="FiniteStepGuard"/>); returns the loss terms when <paramref name="report"/> is set and the step was applied.</summary>
    /// <exception cref="TrainingDivergedException">Too many steps in a row were not finite; the last of them was not applied.</exception>
    private IReadOnlyDictionary<string, double>? RunStep(bool report)
    {
        var lr = _schedule.At(Step);
        IReadOnlyDictionary<string, double>? losses = null;
        using (var scope = NewDisposeScope())
        {
            var input = MakeInput(Step);
            foreach (var group in _optimizer.ParamGroups)
                group.LearningRate = lr;
            LossTerms? terms = null;
            var outcome = _guard.Step(_optimizer, () => (terms = Model.call(input)).Total, Options.GradientClipNorm, DivergenceContext);
            if (report && outcome != GuardedStepOutcome.Skipped)
                losses = terms!.ToDoubles();
        }
        Step++;
        return losses;
    }

    /// <summary>Names this run's step and what was kept, for <see cref="TrainingDivergedException"/>.</summary>
    private string DivergenceContext()
    {
        var kept = Options.CheckpointPath is not null && File.Exists(Options.CheckpointPath)
            ? $"the last good checkpoint is {Options.CheckpointPath}"
            : "no checkpoint was written";
        return $"method '{Model.Method.Name}', step {Step + 1} of {Options.Steps}; {kept}";
    }

    /// <summary>Builds the input of step <paramref name="step"/>: two augmented, normalized views and labels, on the device.</summary>
    public PretrainingInput MakeInput(int step)
    {
        using var scope = NewDisposeScope();
        var indices = BatchIndices(step);
        var images = ImageTensors.ToFloat(_data.Images.index_select(0, indices).to(Device));
        var a = _pipeline.Apply(images, _generator);
        var b = _pipeline.Apply(images, _generator);
        Tensor? labels = Model.Method.RequiresLabels ? _data.Labels.index_select(0, indices).to(Device) : null;
        var input = new PretrainingInput(Normalize(a.Images), Normalize(b.Images), a, b, labels);
        a.MoveToOuterDisposeScope();
        b.MoveToOuterDisposeScope();
        return input with
        {
            ViewA = input.ViewA.MoveToOuterDisposeScope(),
            ViewB = input.ViewB.MoveToOuterDisposeScope(),
            Labels = input.Labels?.MoveToOuterDisposeScope(),
        };
    }

    /// <summary>Writes the checkpoint to <see cref="PretrainingOptions.CheckpointPath"/> (atomically), when one is set.</summary>
    public void SaveCheckpointIfConfigured()
    {
        if (Options.CheckpointPath is { } path)
            Checkpoint.Save(path, Model, _optimizer, _generator, Fingerprint(), Step, Epoch, Step % _stepsPerEpoch, RecomputedSteps, SkippedSteps);
    }

    /// <summary>
    /// Copies the encoder weights and BatchNorm statistics of the model file <paramref name="path"/> (loaded and checked
    /// by <see cref="ModelFile.Load(string, Device?)"/>) into <paramref name="model"/>'s encoder.
    /// </summary>
    private static ModelManifest InitializeEncoder(PretrainingModel model, string path, PretrainingOptions options)
    {
        using var init = ModelFile.Load(path);
        var manifest = init.Manifest;
        var wanted = EncoderSpecs.ToSpec(model.EncoderConfig);
        if (!EncoderSpecs.SameArchitecture(manifest.Encoder, wanted))
        {
            throw new ArgumentException(
                $"InitFrom: the model file {path} holds encoder {Describe(manifest.Encoder)}, but this run trains {Describe(wanted)}; pretrain with the init file's architecture.",
                nameof(options));
        }
        if (!manifest.Mean.SequenceEqual(options.Mean) || !manifest.Std.SequenceEqual(options.Std))
        {
            throw new ArgumentException(
                $"InitFrom: the model file {path} normalises with mean ({Join(manifest.Mean)}) and std ({Join(manifest.Std)}), but Mean and Std are ({Join(options.Mean)}) and ({Join(options.Std)}); set them from the file (PretrainingOptions.ContinuingFrom).",
                nameof(options));
        }
        var target = model.Encoder.state_dict();
        var source = init.Encoder.state_dict();
        if (!target.Keys.Order(StringComparer.Ordinal).SequenceEqual(source.Keys.Order(StringComparer.Ordinal)))
            throw new ArgumentException($"InitFrom: the tensors of {path} do not match the encoder's.", nameof(options));
        using (no_grad())
        {
            foreach (var (name, tensor) in source)
                target[name].copy_(tensor);
        }
        return manifest;

        static string Join(IEnumerable<float> values) => string.Join(", ", values.Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture)));
    }

    /// <summary>An encoder spec in words, for error messages.</summary>
    private static string Describe(EncoderSpec spec) =>
        $"{spec.Stem} stem, widths [{string.Join(", ", spec.Widths)}], blocks [{string.Join(", ", spec.BlocksPerStage)}], split {spec.InvariantChannels} + {spec.EquivariantChannels}";

    /// <summary>
    /// The provenance of this run, in one key style (snake_case), written by every front end (ML.NET's <c>Pretrain</c>,
    /// the CLI's <c>pretrain</c> and <c>reproduce</c>) that then adds its own keys: <c>method</c>, <c>encoder</c>,
    /// <c>heads</c>, <c>steps</c>, <c>batch_size</c>, <c>learning_rate</c>, <c>weight_decay</c>, <c>seed</c>,
    /// <c>images</c>, <c>image_size</c>, <c>device</c>, <c>threads</c>, <c>frozen_stages</c>, <c>init_from</c> (when
    /// continuing from a model file) and <c>finished_utc</c>.
    /// </summary>
    /// <param name="encoderName">How the encoder is named (a preset name, or where its architecture came from).</param>
    public Dictionary<string, string> Provenance(string encoderName)
    {
        ArgumentNullException.ThrowIfNull(encoderName);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var method = Model.Method;
        var provenance = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["method"] = method.Name,
            ["encoder"] = encoderName,
            ["heads"] = DescribeHeads(method),
            ["steps"] = Options.Steps.ToString(c),
            ["batch_size"] = Options.BatchSize.ToString(c),
            ["learning_rate"] = Options.LearningRate.ToString("R", c),
            ["weight_decay"] = Options.WeightDecay.ToString("R", c),
            ["seed"] = Options.Seed.ToString(c),
            ["images"] = _data.Count.ToString(c),
            ["image_size"] = _data.Height.ToString(c),
            ["device"] = Options.Device,
            ["threads"] = torch.get_num_threads().ToString(c),
            ["frozen_stages"] = Options.FrozenStages.ToString(c),
            ["cpu_isa"] = TorchNative.CpuIsa ?? "n/a",
            ["deterministic"] = TorchNative.IsDeterministic ? "true" : "false",
            ["precision"] = Options.Precision.ToString().ToLowerInvariant(),
            ["recomputed_steps"] = RecomputedSteps.ToString(c),
            ["skipped_steps"] = SkippedSteps.ToString(c),
            ["finished_utc"] = DateTime.UtcNow.ToString("O", c),
        };
        if (InitManifest is { } init && Options.InitFrom is { } initFrom)
            provenance["init_from"] = $"{Path.GetFileName(initFrom)} (method {init.Method}, weights SHA-256 {init.WeightsSha256})";
        return provenance;
    }

    /// <summary>Saves the trained encoder as a model file (atomically).</summary>
    public void SaveModel(string path, IReadOnlyDictionary<string, string>? provenance = null) =>
        ModelFile.Save(path, Model.Encoder, Model.Method.Name, _data.Height, Options.Mean, Options.Std, provenance);

    /// <summary>The sizes of the heads <paramref name="method"/> builds, e.g. <c>expander 1024; decoder width 128, 4 heads, depth 2</c>.</summary>
    private static string DescribeHeads(MethodConfig method)
    {
        var c = System.Globalization.CultureInfo.InvariantCulture;
        var parts = new List<string>();
        if (method.VicReg is { } vicReg)
            parts.Add(string.Create(c, $"expander {vicReg.ExpanderWidth}"));
        if (method.Sie is { } sie)
            parts.Add(string.Create(c, $"projector {sie.ProjectorWidth}"));
        if (method.Reconstruction?.Decoder is { } d)
            parts.Add(string.Create(c, $"decoder width {d.Width}, {d.Heads} heads, depth {d.Depth}"));
        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }

    /// <summary>What must match between a checkpoint and the run that resumes it (the data's hash is computed once).</summary>
    internal CheckpointFingerprint Fingerprint() => new(
        Model.Method.Name, EncoderSpecs.ToSpec(Model.EncoderConfig), _data.Height, _data.ClassNames.Count, _data.Count,
        Options.Steps, Options.BatchSize, Options.Seed, InitManifest?.WeightsSha256, Options.FrozenStages,
        Options.LearningRate, Options.WeightDecay, Options.WarmupFraction, Options.MinLearningRateRatio, Options.GradientClipNorm,
        Options.Mean.ToArray(), Options.Std.ToArray(),
        CheckpointFingerprint.HashOf(Model.Method),
        CheckpointFingerprint.HashOf(_pipeline.Steps.Select(step => new { step.Kind, Options = step.GetType().GetProperty("Options")?.GetValue(step) }).ToArray()),
        _dataSha256 ??= HashData(_data), Options.Precision);

    /// <summary>Lower-case hex SHA-256 of the images' pixels (in chunks), the labels and the class names.</summary>
    private static string HashData(ImageDataset data)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        const int chunk = 256;
        for (long start = 0; start < data.Count; start += chunk)
        {
            using var part = data.Images.narrow(0, start, Math.Min(chunk, data.Count - start)).cpu().contiguous();
            hash.AppendData(part.bytes);
        }
        using (var labels = data.Labels.cpu().to(ScalarType.Int64).contiguous())
            hash.AppendData(labels.bytes);
        foreach (var name in data.ClassNames)
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(name + "\n"));
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _guard.Dispose();
        Model.Dispose();
        _optimizer.Dispose();
        _generator.Dispose();
        _mean.Dispose();
        _std.Dispose();
    }
}
