using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Runtime;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Segmentation;

/// <summary>
/// <see cref="IEstimator{TTransformer}"/> for the <see cref="EquiReconSegmentationTransformer"/>: trains a light
/// per-pixel classifier on the token map of a FROZEN EquiRecon encoder from images and masks.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
///
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | Yes (it trains the head; the encoder stays frozen) |
/// | Input column data type | Image: <xref:Microsoft.ML.Transforms.Image.ImageDataViewType> of known size `H × W`; mask (fitting only): an image of the same size, greyscale or colour |
/// | Output column data type | Known-sized vector of <xref:System.Single>, `H · W` class indices in row-major order |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.ImageAnalytics, EquiRecon.MLNet, a TorchSharp backend (e.g. TorchSharp-cpu) |
/// | Exportable to ONNX | No |
///
/// The encoder runs at the images' own size (its ResNet is fully convolutional, so tiles larger than its training size,
/// e.g. 64 or 128 px for a 32 px CIFAR encoder, give a finer token grid: `H/8 × W/8` for the CIFAR stem), optionally
/// after upsampling by `EncoderScale`. Its tokens `(B, N, C)` are reshaped to a map `(B, C, h, w)`; the head is a 1×1
/// convolution to `HiddenWidth` channels, then either (default) bilinear upsampling to `H × W`, concatenation with the
/// normalized image and a 3×3 convolution (a one-level U-Net skip that recovers boundaries finer than the encoder's
/// stride), or (`ImageSkip = false`) logits on the token grid upsampled bilinearly; a 1×1 convolution gives the logits of
/// the `MaskToClass.Classes` classes. Training is Adam on per-pixel cross-entropy (class-balanced by default) over the
/// frozen features, computed once. Mask pixels map to classes through `MaskToClass` (default: threshold 128, 2 classes).
/// Rows with a missing image or mask are skipped when fitting.
///
/// The transformer embeds the encoder's model file and the head's weights, saves with `mlContext.Model.Save` and loads
/// with `mlContext.Model.Load` in a new process without the model file; it reads only the image column. Score its output
/// with `SegmentationMetrics.Evaluate` (mean IoU, pixel accuracy). Training and inference run on the CPU.
///
/// Create it with `mlContext.Transforms.EquiRecon().Segmentation(...)`.
/// ]]>
/// </format>
/// </remarks>
public sealed class EquiReconSegmentationEstimator : IEstimator<EquiReconSegmentationTransformer>
{
    private const string RegistrationName = "EquiReconSegmentationEstimator";

    private readonly IHost _host;
    private readonly EquiReconSegmentationOptions _options;

    /// <exception cref="ArgumentException">An option is invalid.</exception>
    /// <exception cref="ModelFileException">The model file is missing or invalid (its manifest is read here).</exception>
    internal EquiReconSegmentationEstimator(IHostEnvironment env, EquiReconSegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _host = env.Register(RegistrationName);
        _options = options;
        _ = EncoderSource.ReadManifest(options.ModelFile, options.BuiltInEncoder);
    }

    /// <summary>The settings the estimator was created with.</summary>
    public EquiReconSegmentationOptions Options => _options;

    /// <summary>Reads the images and masks, trains the head on the frozen encoder and returns the transformer.</summary>
    /// <param name="input">Data with the image and mask columns, images of one known size; at least one row with both.</param>
    /// <exception cref="ArgumentOutOfRangeException">The image or mask column is missing, is not an image of known size, or
    /// the sizes differ; the message names the column and the expected type.</exception>
    /// <exception cref="InvalidOperationException">No row has both an image and a mask, an image has another size than the
    /// schema says, or a mask pixel maps to no class.</exception>
    public EquiReconSegmentationTransformer Fit(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var image = ImageColumnChecks.Check(_host, nameof(input), input.Schema, "image", _options.ImageColumnName);
        var imageType = (Microsoft.ML.Transforms.Image.ImageDataViewType)image.Type;
        int height = imageType.Height, width = imageType.Width;
        var mask = ImageColumnChecks.Check(_host, nameof(input), input.Schema, "mask", _options.MaskColumnName, height, width);

        var encoder = EmbeddedEncoder.FromFileOrBuiltIn(_options.ModelFile, _options.BuiltInEncoder);
        try
        {
            SegmentationHead head;
            using (var scope = NewDisposeScope())
            {
                var (images, labels) = MaskedImageReader.Read(input, image, mask, height, width, _options.MaskToClass);
                if (images.shape[0] == 0)
                    throw new InvalidOperationException($"Fitting segmentation needs at least one row with both an image ('{_options.ImageColumnName}') and a mask ('{_options.MaskColumnName}'); found none.");
                head = SegmentationTrainer.Fit(encoder.Encoder, images, labels, _options.MaskToClass.Classes, new SegmentationTrainingOptions
                {
                    Hidden = _options.HiddenWidth,
                    ImageSkip = _options.ImageSkip,
                    EncoderScale = _options.EncoderScale,
                    Epochs = _options.Epochs,
                    LearningRate = _options.LearningRate,
                    BatchSize = _options.BatchSize,
                    BalanceClasses = _options.BalanceClasses,
                    Seed = _options.Seed,
                });
            }

            return new EquiReconSegmentationTransformer(_host, _options, height, width, encoder, head);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The schema after the transformer: the input columns plus the output column, a known-size vector of
    /// <see cref="float"/> (replacing any input column of the same name).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The image or mask column is missing, is not an image of known size, or
    /// the sizes differ; the message names the column and the expected type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        var (height, width) = ImageColumnChecks.Check(_host, nameof(inputSchema), inputSchema, "image", _options.ImageColumnName);
        ImageColumnChecks.Check(_host, nameof(inputSchema), inputSchema, "mask", _options.MaskColumnName, height, width);

        var result = inputSchema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        result[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        return new SchemaShape(result.Values);
    }
}
