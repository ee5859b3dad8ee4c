using System.Globalization;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Images;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using TorchSharp;

namespace EquiRecon.MLNet.Pretraining;

/// <summary>
/// <see cref="IEstimator{TTransformer}"/> that pretrains an EquiRecon encoder, self-supervised, on the images of a data
/// view and returns the <see cref="EquiReconFeaturizerTransformer"/> wrapping it.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
///
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | Yes: it trains the encoder on every image (no labels) |
/// | Input column data type | <xref:Microsoft.ML.Transforms.Image.ImageDataViewType> of known square size `S × S`, `S ≥ 8` (e.g. `ResizeImages(S, S)`) |
/// | Output column data type | Known-sized vectors of <xref:System.Single>: `Invariant` (`C_inv`), `Equivariant` (`C_eqv`), optionally `Features` (`C`) |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.ImageAnalytics, EquiRecon.MLNet, a TorchSharp backend (TorchSharp-cpu or a CUDA one) |
/// | Exportable to ONNX | No |
///
/// `Fit` reads every image of the column once into memory as a uint8 tensor `(N, 3, S, S)` (N · 3 · S² bytes: 150 MiB
/// for 50,000 CIFAR images), then runs EquiRecon's pretraining loop (`Pretrainer`): each step draws `BatchSize` images,
/// makes two augmented views and minimises the method's loss (`equirecon`: VICReg on the invariant channels plus a
/// cross-attention reconstruction through the equivariant channels). Progress (step, losses, learning rate, images per
/// second) goes to `mlContext.Log` every `ReportEvery` steps and to ML.NET's progress channel.
/// Cancelling `CancellationToken` (an option), or ML.NET's own cancellation of the context (`MLContext.CancelExecution`,
/// internal to ML.NET, used by AutoML), stops training before the next step (writing the checkpoint when `CheckpointPath`
/// is set) and `Fit` throws <xref:System.OperationCanceledException>.
///
/// Training runs on CUDA device `mlContext.GpuDeviceId` when set (see `FallbackToCpu`), on the CPU otherwise. The
/// returned transformer embeds the trained encoder as an EquiRecon model file and saves and loads with
/// `mlContext.Model` like the one of <xref:EquiRecon.MLNet.Featurizer.EquiReconFeaturizerEstimator>.
///
/// Create it with `mlContext.Transforms.EquiRecon().Pretrain(...)`.
/// ]]>
/// </format>
/// </remarks>
public sealed class EquiReconPretrainingEstimator : IEstimator<EquiReconFeaturizerTransformer>
{
    private const string RegistrationName = "EquiReconPretrainingEstimator";
    private const string UserName = "EquiRecon Pretraining";
    private const string ExpectedType = "Image of known square size (ImageDataViewType(S, S) with S ≥ 8, e.g. from ResizeImages)";

    private readonly IHostEnvironment _env;
    private readonly IHost _host;

    /// <summary>Checks the options (method, encoder and every number).</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    internal EquiReconPretrainingEstimator(IHostEnvironment env, EquiReconPretrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _env = env;
        _host = env.Register(RegistrationName);
        Options = options;
    }

    /// <summary>The settings the estimator was created with.</summary>
    public EquiReconPretrainingOptions Options { get; }

    /// <summary>
    /// Reads the images, pretrains the encoder and returns the featurizer wrapping it.
    /// </summary>
    /// <param name="input">Data with the image column (labels are not used).</param>
    /// <returns>A featurizer over the trained encoder, reading the same image column.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing, not an image, not square or of unknown
    /// size; or there are fewer images than <see cref="EquiReconPretrainingOptions.BatchSize"/>.</exception>
    /// <exception cref="OperationCanceledException"><see cref="EquiReconPretrainingOptions.CancellationToken"/> was cancelled, or
    /// ML.NET cancelled the context (<c>MLContext.CancelExecution</c>).</exception>
    /// <exception cref="InvalidOperationException"><c>mlContext.GpuDeviceId</c> is set, CUDA is not available and falling
    /// back to the CPU is not allowed.</exception>
    /// <exception cref="TrainingDivergedException">Too many steps in a row stayed non-finite when recomputed (<c>Training.MaxConsecutiveSkippedSteps</c>; lower the learning rate).</exception>
    /// <exception cref="ModelFileException"><see cref="EquiReconPretrainingOptions.InitModelFile"/> or the checkpoint is missing,
    /// corrupt or of another run.</exception>
    /// <exception cref="ArgumentException">The init file's architecture differs from <see cref="EquiReconPretrainingOptions.EncoderConfig"/>,
    /// or <see cref="EquiReconPretrainingOptions.FrozenStages"/> exceeds the encoder's stages.</exception>
    public EquiReconFeaturizerTransformer Fit(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var column = input.Schema.GetColumnOrNull(Options.InputColumnName)
            ?? throw MissingColumn(nameof(input));
        int size = CheckImageType(nameof(input), column.Type, isScalar: true, column.Type.ToString() ?? "?");
        _host.CheckAlive();
        Options.CancellationToken.ThrowIfCancellationRequested();

        var device = TorchRuntime.ResolveDevice(_env, Options.FallbackToCpu, UserName);
        var encoder = Options.ResolveEncoder();
        var method = Options.ResolveMethod(encoder);
        int seed = Options.Seed ?? (_env as IHostEnvironmentInternal)?.Seed ?? 0;

        using var ch = _host.Start("Pretraining");
        byte[] modelBytes;
        using (var data = ReadImages(input, column, size, ch))
        {
            if (data.Count < Options.BatchSize)
            {
                throw _host.ExceptParam(nameof(input), string.Create(CultureInfo.InvariantCulture,
                    $"Column '{column.Name}' has {data.Count} images, fewer than one batch (BatchSize = {Options.BatchSize}); lower BatchSize or add images."));
            }

            var training = Options.ToTraining(seed, device.type == DeviceType.CUDA ? string.Create(CultureInfo.InvariantCulture, $"cuda:{device.index}") : "cpu");
            using var trainer = Options.CheckpointPath is { } checkpoint
                ? Pretrainer.Resume(method, encoder, training, data, checkpoint)
                : new Pretrainer(method, encoder, training, data);
            ch.Info(string.Create(CultureInfo.InvariantCulture,
                $"Pretraining '{method.Name}' ({encoder}) on {data.Count} images of {size}x{size} px: {Options.Steps} steps of {Options.BatchSize} images, learning rate {Options.LearningRate}, seed {seed}, device {training.Device}{(trainer.Step > 0 ? $", resuming at step {trainer.Step}" : "")}."));

            Train(trainer, ch);

            string temp = Path.Combine(TorchRuntime.TempFolder(_env), "equirecon-pretrained-" + Guid.NewGuid().ToString("N") + ".zip");
            try
            {
                trainer.SaveModel(temp, Provenance(trainer));
                modelBytes = File.ReadAllBytes(temp);
            }
            finally
            {
                File.Delete(temp);
            }
        }

        ch.Info("Pretraining finished; the featurizer embeds the trained encoder.");
        return new EquiReconFeaturizerTransformer(_env, modelBytes, "(pretrained by this estimator)", Options.InputColumnName, Options.InvariantColumnName,
            Options.EquivariantColumnName, Options.FeaturesColumnName, Options.FeaturizerBatchSize, Options.FallbackToCpu,
            InferenceRuntime.TorchSharp, Options.InferenceThreads);
    }

    /// <summary>
    /// The schema after the returned transformer: the input columns plus the output columns, known-size vectors of
    /// <see cref="float"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing, not an image, not square or of unknown
    /// size; the message names the column and the expected type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        if (!inputSchema.TryFindColumn(Options.InputColumnName, out var column))
            throw MissingColumn(nameof(inputSchema));
        CheckImageType(nameof(inputSchema), column.ItemType, column.Kind == SchemaShape.Column.VectorKind.Scalar, column.GetTypeString() ?? "?");
        return EquiReconFeaturizerEstimator.AddOutputs(inputSchema, Options.OutputColumnNames);
    }

    /// <summary>Runs the loop, reporting to the channel and the progress channel, and stopping on ML.NET's cancellation.</summary>
    private void Train(Pretrainer trainer, IChannel ch)
    {
        using var pch = _host.StartProgressChannel(UserName);
        int step = trainer.Step;
        int total = Options.Steps;
        pch.SetHeader(new ProgressHeader(["loss"], ["steps"]), e => e.SetProgress(0, Volatile.Read(ref step), total));
        using var cancellation = new HostCancellation(_host, Options.CancellationToken);
        var progress = new SynchronousProgress<TrainingProgress>(p =>
        {
            Volatile.Write(ref step, p.Step);
            double? loss = p.Losses.TryGetValue("total", out double value) ? value : null;
            pch.Checkpoint(loss, p.Step, total);
            ch.Info(Format(p));
            Options.Progress?.Report(p);
            cancellation.Poll();
        });

        bool finished = trainer.Train(progress, log: null, cancellation.Token);
        if (!finished)
        {
            ch.Info(string.Create(CultureInfo.InvariantCulture, $"Pretraining cancelled after step {trainer.Step} of {total}."));
            _host.CheckAlive();
            Options.CancellationToken.ThrowIfCancellationRequested();
            throw _host.Except("Pretraining stopped before its last step without being cancelled.");
        }
    }

    /// <summary>Reads every image of <paramref name="column"/> once into a uint8 dataset <c>(N, 3, S, S)</c> without labels.</summary>
    private ImageDataset ReadImages(IDataView input, DataViewSchema.Column column, int size, IChannel ch)
    {
        int rowLength = ImagePixels.Channels * size * size;
        long? rows = input.GetRowCount();
        byte[] pixels = new byte[(int)Math.Clamp(rows ?? 1024, 1, Array.MaxLength / rowLength) * rowLength];
        int count = 0, missing = 0;
        using (var cursor = input.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<MLImage>(column);
            MLImage? image = null;
            try
            {
                while (cursor.MoveNext())
                {
                    if (count % 1024 == 0)
                    {
                        _host.CheckAlive();
                        Options.CancellationToken.ThrowIfCancellationRequested();
                    }
                    getter(ref image!);
                    if (image is null || ImagePixels.IsDisposed(image))
                    {
                        missing++;
                        continue;
                    }

                    if (image.Height != size || image.Width != size)
                    {
                        throw _host.Except(string.Create(CultureInfo.InvariantCulture,
                            $"Column '{column.Name}' holds a {image.Height}x{image.Width} image at row {cursor.Position}; its type says {size}x{size}."));
                    }

                    if ((long)(count + 1) * rowLength > pixels.Length)
                    {
                        long grown = Math.Min((long)pixels.Length * 2, (long)Array.MaxLength / rowLength * rowLength);
                        _host.Check(grown >= (long)(count + 1) * rowLength, "Too many images to hold in one array.");
                        Array.Resize(ref pixels, (int)grown);
                    }

                    ImagePixels.ToChwBytes(image, pixels.AsSpan(count * rowLength, rowLength));
                    count++;
                }
            }
            finally
            {
                image?.Dispose();
            }
        }

        if (missing > 0)
            ch.Warning(string.Create(CultureInfo.InvariantCulture, $"Skipped {missing} rows without an image in column '{column.Name}'."));
        ch.Info(string.Create(CultureInfo.InvariantCulture, $"Read {count} images of {size}x{size} px from column '{column.Name}'."));

        using var scope = torch.NewDisposeScope();
        var images = torch.tensor(pixels, [count, ImagePixels.Channels, size, size], torch.ScalarType.Byte);
        var labels = torch.full(count, -1L, torch.ScalarType.Int64);
        var dataset = new ImageDataset(images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), []);
        return dataset;
    }

    /// <summary>The run's provenance (<see cref="Pretrainer.Provenance"/>) and which step trained it.</summary>
    private Dictionary<string, string> Provenance(Pretrainer trainer)
    {
        var provenance = trainer.Provenance(Options.EncoderConfig is not null ? "(EncoderConfig)"
            : Options.InitModelFile is { } init ? "from " + Path.GetFileName(init)
            : Options.Encoder);
        provenance["trained_with"] = "EquiRecon.MLNet " + nameof(EquiReconPretrainingEstimator);
        return provenance;
    }

    private static string Format(TrainingProgress p)
    {
        string losses = string.Join(", ", p.Losses.Select(kv => string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:G5}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"step {p.Step}/{p.TotalSteps} (epoch {p.Epoch}): {losses}; lr {p.LearningRate:G3}; {p.ImagesPerSecond:F1} images/s; elapsed {p.Elapsed:hh\\:mm\\:ss}, remaining {p.Remaining:hh\\:mm\\:ss}{(p.GuardSummary is { } guard ? "; " + guard : "")}");
    }

    private Exception MissingColumn(string paramName)
        => _host.ExceptParam(paramName, $"Could not find input column '{Options.InputColumnName}' (expected {ExpectedType}).");

    /// <summary>Returns the side of an acceptable image type, or throws a schema-mismatch exception naming the column.</summary>
    private int CheckImageType(string paramName, DataViewType itemType, bool isScalar, string actualType)
    {
        if (!isScalar || itemType is not ImageDataViewType image)
            throw _host.ExceptSchemaMismatch(paramName, "input", Options.InputColumnName, ExpectedType, actualType);
        if (image.Height <= 0 || image.Width <= 0)
            throw _host.ExceptSchemaMismatch(paramName, "input", Options.InputColumnName, ExpectedType + "; add ResizeImages before pretraining", actualType + " (unknown size)");
        if (image.Height != image.Width || image.Height < 8)
            throw _host.ExceptSchemaMismatch(paramName, "input", Options.InputColumnName, ExpectedType, actualType);
        return image.Height;
    }

    /// <summary>An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, before the loop goes on.</summary>
    private sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
    {
        public void Report(T value) => handler(value);
    }
}
