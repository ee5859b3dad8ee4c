using System.CommandLine;
using System.Globalization;
using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// <c>equirecon pretrain</c>: trains one method on an image folder (or a CIFAR-10 binary folder) and writes
/// <c>&lt;out&gt;/checkpoint.ckpt</c>, <c>&lt;out&gt;/metrics.jsonl</c> and <c>&lt;out&gt;/model.equirecon</c>.
/// </summary>
internal static class PretrainCommand
{
    private const long Megapixel = 1_000_000;

    /// <summary>The options, so that tests can parse a command line into <see cref="PretrainSettings"/>.</summary>
    internal sealed class Options
    {
        public Option<string> Method { get; } = CliOptions.OneOf("--method", "Pretraining method: " + string.Join(", ", MethodRegistry.Names) + ".", MethodRegistry.Names, required: true);
        public Option<DirectoryInfo> Data { get; } = CliOptions.ExistingDirectory("--data", "Image folder (<class>/<image>), a folder with train/ class folders, or a CIFAR-10 binary folder (data_batch_1.bin).");
        public Option<DirectoryInfo> Out { get; } = new("--out") { Description = "Output folder: checkpoint.ckpt, metrics.jsonl, model.equirecon.", Required = true };
        public Option<int?> Steps { get; } = CliOptions.OptionalInt("--steps", $"Optimizer steps (default {PretrainingOptions.DefaultSteps}); not with --epochs.");
        public Option<int?> Epochs { get; } = CliOptions.OptionalInt("--epochs", "Passes over the data instead of --steps.");
        public Option<string> Encoder { get; } = CliOptions.OneOf("--encoder", "Encoder preset: " + string.Join(", ", EncoderNames.Names) + ".", EncoderNames.Names, EncoderNames.Default);
        public Option<int> ImageSize { get; } = CliOptions.Int("--image-size", "Images are resized and centre-cropped to this side (pixels).", 32, minimum: 8);
        public Option<int> BatchSize { get; } = CliOptions.Int("--batch-size", "Images per step.", PretrainingOptions.DefaultBatchSize, minimum: 2);
        public Option<double> LearningRate { get; } = CliOptions.PositiveDouble("--lr", "Peak AdamW learning rate (warm-up, then cosine decay).", PretrainingOptions.DefaultLearningRate);
        public Option<string> Device { get; } = CliOptions.Device();
        public Option<int?> Threads { get; } = CliOptions.Threads();
        public Option<long> Seed { get; } = new("--seed") { Description = "Seed of initialisation, data order and augmentations.", DefaultValueFactory = _ => 0 };
        public Option<int?> LimitPerClass { get; } = CliOptions.OptionalInt("--limit-per-class", "Read at most this many images per class.");
        public Option<int> CheckpointEvery { get; } = CliOptions.Int("--checkpoint-every", "Also write the checkpoint every N steps (0: only at the end or on Ctrl+C).", 0, minimum: 0);
        public Option<bool> Resume { get; } = new("--resume") { Description = "Continue from <out>/checkpoint.ckpt (a finished run is left as it is)." };
        public Option<bool> SkipUnreadable { get; } = new("--skip-unreadable") { Description = "Leave out images that cannot be decoded (their count and the first names are printed) instead of stopping at the first." };
        public Option<int> MaxImageMegapixels { get; } = CliOptions.Int("--max-image-megapixels",
            "Refuse images larger than this many megapixels, read from each file's header before it is decoded (with --skip-unreadable: leave them out).",
            (int)(ImageFolder.DefaultMaxImagePixels / Megapixel));
        public Option<int> ReportEvery { get; } = CliOptions.Int("--report-every", "Report progress (progress bar or line, and a metrics.jsonl entry) every N steps.", PretrainingOptions.DefaultReportEvery);
        public Option<FileInfo?> Init { get; } = new("--init") { Description = "Start from the encoder weights of this model file (.equirecon); its architecture and mean/std are used (--encoder, when given, must match). The heads start fresh." };
        public Option<string> Precision { get; } = CliOptions.Precision();
        public Option<int> FreezeStages { get; } = CliOptions.Int("--freeze-stages", "Keep the stem and the first N residual stages of the encoder fixed (weights and BatchNorm statistics); 0 trains everything.", 0, minimum: 0);

        public IEnumerable<Option> All =>
            [Method, Data, Out, Steps, Epochs, Encoder, ImageSize, BatchSize, LearningRate, Device, Threads, Seed, LimitPerClass, CheckpointEvery, Resume, SkipUnreadable, MaxImageMegapixels, ReportEvery, Init, FreezeStages, Precision];

        /// <summary>The settings a successful parse stands for.</summary>
        /// <exception cref="CliException">The init file is missing or invalid, does not match <c>--encoder</c>, or <c>--freeze-stages</c> is too large.</exception>
        public PretrainSettings Read(ParseResult parse)
        {
            var options = new PretrainingOptions
            {
                Steps = parse.GetValue(Steps) ?? PretrainingOptions.DefaultSteps,
                BatchSize = parse.GetValue(BatchSize),
                LearningRate = parse.GetValue(LearningRate),
                Device = parse.GetRequiredValue(Device),
                Threads = parse.GetValue(Threads),
                Seed = parse.GetValue(Seed),
                CheckpointEvery = parse.GetValue(CheckpointEvery),
                ReportEvery = parse.GetValue(ReportEvery),
                FrozenStages = parse.GetValue(FreezeStages),
                Precision = CliOptions.ParsePrecision(parse.GetRequiredValue(Precision)),
            };
            var encoderName = parse.GetRequiredValue(Encoder);
            var encoder = EncoderNames.Get(encoderName);
            if (parse.GetValue(Init) is { } init)
            {
                ModelManifest manifest;
                try
                {
                    manifest = ModelFile.ReadManifest(init.FullName);
                    options = options.ContinuingFrom(init.FullName);
                }
                catch (ModelFileException e)
                {
                    throw new CliException($"Option '--init': {e.Message}", e);
                }
                var initEncoder = EncoderSpecs.ToConfig(manifest.Encoder);
                var explicitEncoder = parse.GetResult(Encoder) is { Implicit: false };
                if (explicitEncoder && !EncoderSpecs.SameArchitecture(EncoderSpecs.ToSpec(encoder), manifest.Encoder))
                    throw new CliException($"Options '--encoder' and '--init': '{init.FullName}' holds another architecture than '{encoderName}'. Leave out --encoder to use the init file's.");
                if (!explicitEncoder)
                {
                    encoder = initEncoder;
                    encoderName = EncoderNames.Names.FirstOrDefault(n => EncoderSpecs.SameArchitecture(EncoderSpecs.ToSpec(EncoderNames.Get(n)), manifest.Encoder))
                        ?? $"from {init.Name}";
                }
            }
            if (options.FrozenStages > encoder.Stages)
            {
                throw new CliException(string.Create(CultureInfo.InvariantCulture,
                    $"Option '--freeze-stages': {options.FrozenStages} is more than the {encoder.Stages} stages of the encoder '{encoderName}'."));
            }
            return new()
            {
                // Heads in proportion to the encoder (paper ratios), the rule ML.NET's Pretrain follows too.
                Method = MethodRegistry.Get(parse.GetRequiredValue(Method)).SizedFor(encoder),
                EncoderName = encoderName,
                Encoder = encoder,
                DataPath = parse.GetRequiredValue(Data).FullName,
                OutDir = parse.GetRequiredValue(Out).FullName,
                ImageSize = parse.GetValue(ImageSize),
                Options = options,
                Epochs = parse.GetValue(Epochs),
                LimitPerClass = parse.GetValue(LimitPerClass),
                Resume = parse.GetValue(Resume),
                SkipUnreadable = parse.GetValue(SkipUnreadable),
                MaxImagePixels = parse.GetValue(MaxImageMegapixels) * Megapixel,
                CommandLine = CliOptions.CommandLine(parse),
            };
        }
    }

    public static Command Create() => Create(new Options());

    /// <summary>The command over the given option objects (tests parse with them).</summary>
    internal static Command Create(Options options)
    {
        var command = new Command("pretrain", "Pretrain an encoder with one method; writes checkpoint.ckpt, metrics.jsonl and model.equirecon into --out. Ctrl+C stops after the current step and keeps the checkpoint; --resume continues.");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.Validators.Add(result => CliOptions.Exclusive(result, options.Steps, options.Epochs));
        command.SetAction(parse => CommandRunner.Run(parse, (console, token) =>
        {
            var outcome = PretrainRunner.Run(options.Read(parse), console, token);
            return outcome.Completed ? ExitCodes.Ok : ExitCodes.Cancelled;
        }));
        return command;
    }
}
