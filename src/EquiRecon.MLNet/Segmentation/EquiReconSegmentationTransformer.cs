using EquiRecon.MLNet.Persistence;
using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Runtime;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.MLNet.Transforms;
using EquiRecon.TorchSharp.Segmentation;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

// Loaders ML.NET finds by LoaderSignature when it reads a zip (it loads this assembly by the name the zip records).
[assembly: LoadableClass(typeof(EquiReconSegmentationTransformer), null, typeof(SignatureLoadModel),
    EquiReconSegmentationTransformer.UserName, EquiReconSegmentationTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IRowMapper), typeof(EquiReconSegmentationTransformer), null, typeof(SignatureLoadRowMapper),
    EquiReconSegmentationTransformer.UserName, EquiReconSegmentationTransformer.LoaderSignature)]
[assembly: LoadableClass(typeof(IDataTransform), typeof(EquiReconSegmentationTransformer), null, typeof(SignatureLoadDataTransform),
    EquiReconSegmentationTransformer.UserName, EquiReconSegmentationTransformer.LoaderSignature)]

namespace EquiRecon.MLNet.Segmentation;

/// <summary>
/// <see cref="ITransformer"/> resulting from fitting an <see cref="EquiReconSegmentationEstimator"/>: a frozen EquiRecon
/// encoder and a light segmentation head that label every pixel of an image column of size <c>H × W</c>. The output
/// column (default <c>SegmentationMap</c>) is a float vector of <c>H · W</c> class indices in row-major order
/// (pixel <c>(y, x)</c> at <c>y · W + x</c>); a missing image gives NaN values.
/// </summary>
/// <remarks>
/// Self-contained: the encoder's model file and the head's weights are stored inside the ML.NET zip, so
/// <c>mlContext.Model.Load</c> restores it in any process with no registration call and without the model file.
/// Rows are computed one at a time on the CPU (a batched transform and a <c>PredictionEngine</c> give the same values);
/// concurrent cursors share the model behind a lock. Score predictions with <see cref="SegmentationMetrics"/>.
/// The transformer is deliberately not <see cref="IDisposable"/>: ML.NET disposes a transformer together with a <c>PredictionEngine</c> made from it, which would break every other engine; its native tensors are released by the garbage collector.
/// </remarks>
public sealed class EquiReconSegmentationTransformer : EquiReconTransformerBase
{
    internal const string UserName = "EquiRecon Segmentation Adapter";
    internal const string LoaderSignature = "EquiReconSegmentation";
    private const string RegistrationName = "EquiReconSegmentation";
    private const string HeadStream = "SegmentationHead";

    private readonly EmbeddedEncoder _encoder;
    private readonly SegmentationHead _head;
    private readonly Lock _gate = new();

    /// <summary>Wraps a trained head; takes ownership of <paramref name="encoder"/> and <paramref name="head"/>.</summary>
    internal EquiReconSegmentationTransformer(IHostEnvironment env, EquiReconSegmentationOptions options, int imageHeight, int imageWidth,
        EmbeddedEncoder encoder, SegmentationHead head)
        : base(RegisterHost(env), CheckOptions(options).ImageColumnName, [options.OutputColumnName])
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imageWidth);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(head);
        ImageHeight = imageHeight;
        ImageWidth = imageWidth;
        _encoder = encoder;
        _head = head;
    }

    private EquiReconSegmentationTransformer(IHost host, ModelLoadContext ctx)
        : base(host, ctx)
    {
        // *** Binary format ***
        // <base: column names>
        // int: image height H
        // int: image width W
        // stream "EncoderModel" (before version 0x00010002: "EncoderModelFile"): the EquiRecon model file, byte for byte
        // stream "SegmentationHead": SegmentationHead.ToBytes() (classes, hidden width, image skip, encoder scale, weights)
        ImageHeight = ctx.Reader.ReadInt32();
        ImageWidth = ctx.Reader.ReadInt32();
        host.CheckDecode(ImageHeight > 0 && ImageWidth > 0, "image height and width must be positive");
        _encoder = EmbeddedEncoder.Load(ctx, legacyStreamName: ctx.Header.ModelVerWritten < VersionWithEncoderStream);
        try
        {
            _head = SegmentationHead.FromBytes(ModelBlob.Load(ctx, HeadStream));
            host.CheckDecode(_head.Options.Channels == _encoder.Encoder.Encoder.Channels, "the head does not fit the stored encoder's channels");
        }
        catch
        {
            _encoder.Dispose();
            throw;
        }
    }

    /// <summary>Height <c>H</c> of the images the transformer accepts, in pixels.</summary>
    public int ImageHeight { get; }

    /// <summary>Width <c>W</c> of the images the transformer accepts, in pixels.</summary>
    public int ImageWidth { get; }

    /// <summary>Number of classes <c>K</c>; the output values are in <c>0 … K−1</c>.</summary>
    public int Classes => _head.Options.Classes;

    /// <summary>The head's shape (hidden width, image skip, encoder scale).</summary>
    public SegmentationHeadOptions HeadOptions => _head.Options;

    /// <summary>Name of the output column.</summary>
    public string OutputColumnName => OutputColumnNames[0];

    /// <summary>Length of the output vector: <c>H · W</c>.</summary>
    public int OutputSize => ImageHeight * ImageWidth;

    private protected override VersionInfo CurrentVersionInfo => GetVersionInfo();

    private protected override string ExpectedInputType => new ImageDataViewType(ImageHeight, ImageWidth).ToString();

    // 0x00010001: initial; 0x00010002: the encoder in the stream "EncoderModel" (EncoderSource; before: "EncoderModelFile").
    private const uint VersionWithEncoderStream = 0x00010002;

    private static VersionInfo GetVersionInfo() => CreateVersionInfo(
        modelSignature: "ERSEGMNT",
        verWrittenCur: VersionWithEncoderStream,
        verReadableCur: VersionWithEncoderStream,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderType: typeof(EquiReconSegmentationTransformer));

    private static IHost RegisterHost(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env.Register(RegistrationName);
    }

    private static EquiReconSegmentationOptions CheckOptions(EquiReconSegmentationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    // Factory method for SignatureLoadModel.
    private static EquiReconSegmentationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var host = RegisterHost(env);
        host.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new EquiReconSegmentationTransformer(host, ctx);
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
        _encoder.Save(ctx);
        lock (_gate)
            ModelBlob.Save(ctx, HeadStream, _head.ToBytes());
    }

    private protected override RowComputation CreateRowComputation(DataViewRow input, DataViewSchema.Column inputColumn)
        => new Computation(this, input.GetGetter<MLImage>(inputColumn), inputColumn.Name);

    /// <summary>The class map of one image into <paramref name="destination"/> (<c>H · W</c> values).</summary>
    private void Predict(MLImage image, string columnName, float[] destination)
    {
        lock (_gate)
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var x = ImageTensorReader.ToTensor(image, ImageHeight, ImageWidth, columnName);
            var classes = SegmentationTrainer.Predict(_encoder.Encoder, _head, x, batchSize: 1);
            classes.to(ScalarType.Float32).cpu().data<float>().CopyTo(destination);
        }
    }

    /// <summary>
    /// Reads the row's image once and writes its class map. Images are not disposed here: the upstream getter
    /// (LoadImages, ResizeImages) disposes the previous value itself, and in-memory images belong to their owner.
    /// </summary>
    private sealed class Computation : RowComputation
    {
        private readonly EquiReconSegmentationTransformer _parent;
        private readonly ValueGetter<MLImage> _getImage;
        private readonly string _columnName;
        private MLImage? _image;

        public Computation(EquiReconSegmentationTransformer parent, ValueGetter<MLImage> getImage, string columnName)
        {
            _parent = parent;
            _getImage = getImage;
            _columnName = columnName;
        }

        public override void Compute(float[][] outputs)
        {
            _getImage(ref _image!);
            if (_image is null)
                Array.Fill(outputs[0], float.NaN);
            else
                _parent.Predict(_image, _columnName, outputs[0]);
        }
    }
}
