using EquiRecon.MLNet.Images;
using EquiRecon.MLNet.Persistence;
using EquiRecon.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

// Loaders ML.NET finds by LoaderSignature when it reads a zip (it loads this assembly by the name the zip records).
[assembly: LoadableClass(typeof(NormalizeImagePixelsTransformer), null, typeof(SignatureLoadModel),
    NormalizeImagePixelsTransformer.UserName, NormalizeImagePixelsTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(NormalizeImagePixelsTransformer), null, typeof(SignatureLoadRowMapper),
    NormalizeImagePixelsTransformer.UserName, NormalizeImagePixelsTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IDataTransform), typeof(NormalizeImagePixelsTransformer), null, typeof(SignatureLoadDataTransform),
    NormalizeImagePixelsTransformer.UserName, NormalizeImagePixelsTransformer.LoaderSignature)]

namespace EquiRecon.MLNet.Transforms;

/// <summary>
/// <see cref="ITransformer"/> resulting from fitting a <see cref="NormalizeImagePixelsEstimator"/>: turns an
/// image column of fixed size <c>(H, W)</c> into a float vector column <c>(3, H, W)</c> flattened (channels
/// first, R, G, B), each value <c>(pixel / 255 - mean[c]) / std[c]</c>.
/// </summary>
/// <remarks>
/// Saved with <c>mlContext.Model.Save</c> and restored by <c>mlContext.Model.Load</c> in any process that can
/// load EquiRecon.MLNet, with no registration call. A missing image (<see langword="null"/>) gives all zeros, as
/// ML.NET's <c>ExtractPixels</c> does.
/// </remarks>
public sealed class NormalizeImagePixelsTransformer : EquiReconTransformerBase
{
    internal const string UserName = "EquiRecon Normalize Image Pixels";
    internal const string LoaderSignature = "EquiReconNormalizePixels";
    private const string RegistrationName = "EquiReconNormalizeImagePixels";
    private const string NormalizationStream = "Normalization";

    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates the transformer for images of <paramref name="imageHeight"/> × <paramref name="imageWidth"/> pixels.</summary>
    internal NormalizeImagePixelsTransformer(IHostEnvironment env, NormalizeImagePixelsOptions options, int imageHeight, int imageWidth)
        : base(RegisterHost(env), CheckOptions(options).InputColumnName, [options.OutputColumnName])
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        _mean = [.. options.Mean];
        _std = [.. options.Std];
    }

    private NormalizeImagePixelsTransformer(IHost host, ModelLoadContext ctx)
        : base(host, ctx)
    {
        // *** Binary format ***
        // <base: column names>
        // int: image height
        // int: image width
        // stream "Normalization": 6 floats, mean (R, G, B) then std (R, G, B)
        ImageHeight = ctx.Reader.ReadInt32();
        host.CheckDecode(ImageHeight > 0, "image height must be positive");
        ImageWidth = ctx.Reader.ReadInt32();
        host.CheckDecode(ImageWidth > 0, "image width must be positive");
        float[] normalization = ModelBlob.LoadSingles(ctx, NormalizationStream);
        host.CheckDecode(normalization.Length == 2 * ImagePixels.Channels, "the normalization stream needs 6 floats");
        _mean = normalization[..ImagePixels.Channels];
        _std = normalization[ImagePixels.Channels..];
        host.CheckDecode(_std.All(s => float.IsFinite(s) && s > 0f), "std must be finite and positive");
    }

    /// <summary>Height <c>H</c> of the images the transformer accepts, in pixels.</summary>
    public int ImageHeight { get; }

    /// <summary>Width <c>W</c> of the images the transformer accepts, in pixels.</summary>
    public int ImageWidth { get; }

    /// <summary>Per-channel mean (R, G, B) in [0, 1] units.</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Per-channel standard deviation (R, G, B) in [0, 1] units.</summary>
    public IReadOnlyList<float> Std => _std;

    /// <summary>Name of the output column.</summary>
    public string OutputColumnName => OutputColumnNames[0];

    /// <summary>Length of the output vector: <c>3 · H · W</c>.</summary>
    public int OutputSize => ImagePixels.Channels * ImageHeight * ImageWidth;

    private protected override VersionInfo CurrentVersionInfo => GetVersionInfo();

    private protected override string ExpectedInputType => new ImageDataViewType(ImageHeight, ImageWidth).ToString();

    private static VersionInfo GetVersionInfo() => CreateVersionInfo(
        modelSignature: "ERNRMPIX",
        verWrittenCur: 0x00010001, // Initial
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderType: typeof(NormalizeImagePixelsTransformer));

    private static IHost RegisterHost(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.Register(RegistrationName);
    }

    private static NormalizeImagePixelsOptions CheckOptions(NormalizeImagePixelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    // Factory method for SignatureLoadModel.
    private static NormalizeImagePixelsTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = RegisterHost(env);
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new NormalizeImagePixelsTransformer(host, ctx);
    }

    // Factory method for SignatureLoadRowMapper.
    private static IRowMapper Create(IHostEnvironment env, ModelLoadContext ctx, DataViewSchema inputSchema)
        => Create(env, ctx).MakeRowMapper(inputSchema);

    // Factory method for SignatureLoadDataTransform. ML.NET's catalog requires the return type to be exactly IDataTransform.
#pragma warning disable CA1859 // Use concrete types when possible for improved performance
    private static IDataTransform Create(IHostEnvironment env, ModelLoadContext ctx, IDataView input)
        => Create(env, ctx).MakeDataTransform(input);
#pragma warning restore CA1859

    private protected override bool IsValidInputType(DataViewType type)
        => type is ImageDataViewType image && image.Height == ImageHeight && image.Width == ImageWidth;

    private protected override int GetOutputSize(int outputIndex) => OutputSize;

    private protected override void SaveState(ModelSaveContext ctx)
    {
        ctx.Writer.Write(ImageHeight);
        ctx.Writer.Write(ImageWidth);
        ModelBlob.SaveSingles(ctx, NormalizationStream, [.. _mean, .. _std]);
    }

    private protected override RowComputation CreateRowComputation(DataViewRow input, DataViewSchema.Column inputColumn)
        => new Computation(this, input.GetGetter<MLImage>(inputColumn), inputColumn.Name);

    /// <summary>
    /// Reads the row's image once, writes its normalized pixels, and keeps the image for the upstream
    /// getter to dispose on the next row (ML.NET's image getters dispose the value passed by reference);
    /// the last one is disposed with the cursor.
    /// </summary>
    private sealed class Computation : RowComputation
    {
        private readonly NormalizeImagePixelsTransformer _parent;
        private readonly ValueGetter<MLImage> _getImage;
        private readonly string _columnName;
        private MLImage? _image;

        public Computation(NormalizeImagePixelsTransformer parent, ValueGetter<MLImage> getImage, string columnName)
        {
            _parent = parent;
            _getImage = getImage;
            _columnName = columnName;
        }

        public override void Compute(float[][] outputs)
        {
            float[] destination = outputs[0];
            _getImage(ref _image!);
            if (_image is null)
            {
                Array.Clear(destination);
                return;
            }

            if (_image.Height != _parent.ImageHeight || _image.Width != _parent.ImageWidth)
            {
                throw new InvalidOperationException(
                    $"Column '{_columnName}' holds a {_image.Height}x{_image.Width} image; the transformer was fitted for {_parent.ImageHeight}x{_parent.ImageWidth}.");
            }

            ImagePixels.ToNormalizedChw(_image, _parent._mean, _parent._std, destination);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _image?.Dispose();
                _image = null;
            }

            base.Dispose(disposing);
        }
    }
}
