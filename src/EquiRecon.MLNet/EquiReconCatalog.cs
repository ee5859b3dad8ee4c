using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Pretraining;
using EquiRecon.MLNet.Transforms;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet;

/// <summary>
/// EquiRecon's transforms, reached as <c>mlContext.Transforms.EquiRecon()</c> (see
/// <see cref="EquiReconCatalogExtensions.EquiRecon(TransformsCatalog)"/>).
/// </summary>
/// <remarks>
/// Every transformer created here round-trips through <c>mlContext.Model.Save</c> / <c>mlContext.Model.Load</c>
/// like ML.NET's own components, with its state inside the model zip.
/// </remarks>
public sealed partial class EquiReconCatalog
{
    private readonly IHostEnvironment _env;

    internal EquiReconCatalog(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        _env = env;
    }

    /// <summary>
    /// Normalizes the pixels of a fixed-size image column into a float vector column <c>(3, H, W)</c>
    /// flattened (channels first, R, G, B), each value <c>(pixel / 255 - mean[c]) / std[c]</c> with the
    /// CIFAR-10 statistics (<see cref="NormalizeImagePixelsOptions.Cifar10Mean"/>, <see cref="NormalizeImagePixelsOptions.Cifar10Std"/>).
    /// </summary>
    /// <param name="outputColumnName">Name of the float vector column to add. Default <c>"Pixels"</c>.</param>
    /// <param name="inputColumnName">Name of the image column, of known size (e.g. the output of <c>ResizeImages</c>). Default <c>"Image"</c>.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <example>
    /// <code>
    /// var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath")
    ///     .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    ///     .Append(mlContext.Transforms.EquiRecon().NormalizeImagePixels("Pixels", "Image"));
    /// </code>
    /// </example>
    public NormalizeImagePixelsEstimator NormalizeImagePixels(
        string outputColumnName = EquiReconColumnNames.Pixels,
        string inputColumnName = EquiReconColumnNames.Image)
        => NormalizeImagePixels(new NormalizeImagePixelsOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>
    /// Normalizes the pixels of a fixed-size image column into a float vector column <c>(3, H, W)</c>
    /// flattened, with the column names and per-channel statistics of <paramref name="options"/>.
    /// </summary>
    /// <param name="options">Column names and per-channel mean/std; see <see cref="NormalizeImagePixelsOptions"/> for the defaults.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <exception cref="ArgumentException">An option is invalid (empty column name, mean/std without 3 finite values, std not positive).</exception>
    public NormalizeImagePixelsEstimator NormalizeImagePixels(NormalizeImagePixelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NormalizeImagePixelsEstimator(_env, options);
    }

    /// <summary>
    /// Runs a pretrained EquiRecon encoder (an EquiRecon model file) over an image column and adds the invariant and
    /// equivariant parts of its pooled representation as float vector columns <c>(C_inv)</c> and <c>(C_eqv)</c>.
    /// </summary>
    /// <param name="modelFile">Path of the EquiRecon model file; its bytes are embedded in the ML.NET model zip on save.
    /// Default <see langword="null"/>: the encoder <paramref name="builtInEncoder"/> names, else the default encoder shipped in the package (a small CIFAR-10 encoder, 32 × 32 input).</param>
    /// <param name="inputColumnName">Name of the image column of the model's input size <c>S × S</c> (e.g. the output of
    /// <c>ResizeImages(S, S)</c>), or of a float vector of <c>3 · S · S</c> values (channels-first RGB in [0, 255], the output of
    /// <c>ExtractPixels</c> with its defaults). Default <c>"Image"</c>.</param>
    /// <param name="invariantColumnName">Name of the invariant output column. Default <c>"Invariant"</c>.</param>
    /// <param name="equivariantColumnName">Name of the equivariant output column. Default <c>"Equivariant"</c>.</param>
    /// <param name="builtInEncoder">The built-in encoder to use instead of a model file: <see cref="BuiltInEncoder.SmallCifar"/> or
    /// <see cref="BuiltInEncoder.NaturalImage"/> (128 × 128 photos; needs the <c>EquiRecon.Models.NaturalImage</c> package).
    /// Default <see langword="null"/>: the default encoder, <see cref="BuiltInEncoder.SmallCifar"/>. Not together with <paramref name="modelFile"/>.</param>
    /// <param name="runtime">Which runtime computes the features: <see cref="InferenceRuntime.TorchSharp"/> (needs a TorchSharp backend
    /// package) or <see cref="InferenceRuntime.OnnxRuntime"/> (needs <c>Microsoft.ML.OnnxRuntime</c>, no libtorch). Default
    /// <see cref="InferenceRuntime.TorchSharp"/>.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <exception cref="ArgumentException">Both <paramref name="modelFile"/> and <paramref name="builtInEncoder"/> are given, or a name is empty.</exception>
    /// <exception cref="EquiRecon.TorchSharp.IO.ModelFileException">The model file is missing or invalid, or the built-in encoder's package is not referenced.</exception>
    /// <example>
    /// <code>
    /// var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath")
    ///     .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    ///     .Append(mlContext.Transforms.EquiRecon().FeaturizeImage("encoder.equirecon"))
    ///     .Append(mlContext.Transforms.Concatenate("Features", "Invariant", "Equivariant"))
    ///     .AppendCacheCheckpoint(mlContext);
    ///
    /// // Photos, with the natural-image encoder of the EquiRecon.Models.NaturalImage package (adds Invariant (256), Equivariant (256)):
    /// var photos = mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath")
    ///     .Append(mlContext.Transforms.ResizeImages("Image", 128, 128))
    ///     .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(builtInEncoder: BuiltInEncoder.NaturalImage));
    /// </code>
    /// </example>
    public EquiReconFeaturizerEstimator FeaturizeImage(
        string? modelFile = null,
        string inputColumnName = EquiReconColumnNames.Image,
        string invariantColumnName = EquiReconColumnNames.Invariant,
        string equivariantColumnName = EquiReconColumnNames.Equivariant,
        BuiltInEncoder? builtInEncoder = null,
        InferenceRuntime runtime = InferenceRuntime.TorchSharp)
        => FeaturizeImage(new EquiReconFeaturizerOptions
        {
            ModelFile = modelFile,
            BuiltInEncoder = builtInEncoder,
            Runtime = runtime,
            InputColumnName = inputColumnName,
            InvariantColumnName = invariantColumnName,
            EquivariantColumnName = equivariantColumnName,
        });

    /// <summary>
    /// Runs a pretrained EquiRecon encoder over an image column with the settings of <paramref name="options"/>
    /// (model file or built-in encoder, column names, optional whole-representation column, batch size, CPU fallback, runtime).
    /// </summary>
    /// <param name="options">The settings; see <see cref="EquiReconFeaturizerOptions"/> for the defaults.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <exception cref="ArgumentException">An option is invalid (empty name, duplicate output names, batch size below 1, both a
    /// model file and a built-in encoder).</exception>
    /// <exception cref="EquiRecon.TorchSharp.IO.ModelFileException">The model file is missing or invalid, or the built-in encoder's package is not referenced.</exception>
    public EquiReconFeaturizerEstimator FeaturizeImage(EquiReconFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EquiReconFeaturizerEstimator(_env, options);
    }

    /// <summary>
    /// Pretrains an EquiRecon encoder, self-supervised (no labels), on the images of a column, then featurizes that column
    /// with it: <c>Fit</c> returns the featurizer over the trained encoder.
    /// </summary>
    /// <param name="inputColumnName">Name of the image column, of known square size (e.g. <c>ResizeImages(32, 32)</c>). Default <c>"Image"</c>.</param>
    /// <param name="method">The method, a name of EquiRecon's method registry. Default <c>"equirecon"</c>.</param>
    /// <param name="encoder">The encoder preset. Default <c>"small-cifar-resnet"</c>.</param>
    /// <param name="steps">Optimizer steps. Default 1000.</param>
    /// <param name="batchSize">Images per step; the data needs at least this many. Default 256.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <exception cref="ArgumentException">An argument is invalid (unknown method or encoder, <c>supervised</c>, a size below its minimum).</exception>
    /// <example>
    /// <code>
    /// // One Fit: pretrain on the pipeline's images, then train a classifier on the new features.
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath"))
    ///     .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    ///     .Append(mlContext.Transforms.EquiRecon().Pretrain(steps: 2000, batchSize: 128))
    ///     .Append(mlContext.Transforms.Concatenate("Features", "Invariant", "Equivariant"))
    ///     .AppendCacheCheckpoint(mlContext)
    ///     .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy())
    ///     .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    /// var model = pipeline.Fit(data);
    /// model.OfType&lt;EquiReconFeaturizerTransformer&gt;().Single().SaveModelFile("pretrained.equirecon");
    /// </code>
    /// </example>
    public EquiReconPretrainingEstimator Pretrain(
        string inputColumnName = EquiReconColumnNames.Image,
        string method = MethodRegistry.DefaultName,
        string encoder = EncoderNames.Default,
        int steps = PretrainingOptions.DefaultSteps,
        int batchSize = PretrainingOptions.DefaultBatchSize)
        => Pretrain(new EquiReconPretrainingOptions
        {
            InputColumnName = inputColumnName,
            Method = method,
            Encoder = encoder,
            Steps = steps,
            BatchSize = batchSize,
        });

    /// <summary>
    /// Pretrains an EquiRecon encoder on the images of a column with the settings of <paramref name="options"/>, then
    /// featurizes that column with it.
    /// </summary>
    /// <param name="options">The settings; see <see cref="EquiReconPretrainingOptions"/> for the defaults.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public EquiReconPretrainingEstimator Pretrain(EquiReconPretrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EquiReconPretrainingEstimator(_env, options);
    }
}

/// <summary>Entry point to EquiRecon's transforms from an <see cref="MLContext"/>.</summary>
public static class EquiReconCatalogExtensions
{
    /// <summary>EquiRecon's transforms: <c>mlContext.Transforms.EquiRecon()</c>.</summary>
    /// <param name="catalog">The transforms catalog of an <see cref="MLContext"/>.</param>
    /// <returns>The catalog of EquiRecon transforms bound to the same environment.</returns>
    public static EquiReconCatalog EquiRecon(this TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new EquiReconCatalog(catalog.GetEnvironment());
    }
}
