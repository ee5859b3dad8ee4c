using System.Globalization;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Google.Protobuf;
using Onnx;

namespace EquiRecon.Onnx;

/// <summary>
/// Exports the encoder of an EquiRecon model file to ONNX (opset <see cref="OpsetVersion"/>) for inference without
/// libtorch: ONNX Runtime, ML.NET's <c>ApplyOnnxModel</c>, or any ONNX tool. Reads the model file's weights directly
/// (TorchSharp's state-dict format, parsed here): exporting needs no TorchSharp native library.
/// </summary>
/// <remarks>
/// <para>Graph: input <see cref="InputName"/>, float32 <c>N × 3 × S × S</c> raw RGB pixels in [0, 255] with a symbolic
/// batch dimension <see cref="BatchDimension"/>; the model file's normalisation <c>(x / 255 − mean) / std</c> and, for
/// encoders with one, the input offset (resized to <c>S</c> at export time) are inside the graph, as one Mul and one Add.
/// Outputs: <see cref="InvariantOutputName"/> <c>N × C_inv</c>, <see cref="EquivariantOutputName"/> <c>N × C_eqv</c> (the
/// pooled representation split by channel) and <see cref="TokensOutputName"/> <c>N × h·w × C</c> (the last feature map,
/// row-major), exactly what <c>PretrainedEncoder.Encode</c> returns.</para>
/// <para>Every tensor of the state dict is checked against the manifest's architecture (names, dtypes, shapes, count)
/// before anything is written; a mismatch throws <see cref="ModelFileException"/> naming the tensor.</para>
/// </remarks>
public static class OnnxExport
{
    /// <summary>The ONNX operator set the graph uses (17, read by ONNX Runtime 1.13 and newer and most ONNX tools).</summary>
    public const int OpsetVersion = 17;

    /// <summary>The ONNX IR version matching <see cref="OpsetVersion"/> (8).</summary>
    public const int IrVersion = 8;

    /// <summary>Name of the graph input: float32 raw RGB pixels <c>N × 3 × S × S</c> in [0, 255].</summary>
    public const string InputName = "pixels";

    /// <summary>Name of the symbolic batch dimension of the input and outputs.</summary>
    public const string BatchDimension = "N";

    /// <summary>Name of the output holding the invariant channels of the pooled representation, <c>N × C_inv</c>.</summary>
    public const string InvariantOutputName = "invariant";

    /// <summary>Name of the output holding the equivariant channels of the pooled representation, <c>N × C_eqv</c>.</summary>
    public const string EquivariantOutputName = "equivariant";

    /// <summary>Name of the output holding the token map, <c>N × h·w × C</c>.</summary>
    public const string TokensOutputName = "tokens";

    /// <summary>Name of a probe head's input: the probe's features, float32 <c>N × d</c>.</summary>
    public const string ProbeInputName = "features";

    /// <summary>Name of a probe head's output: the predicted transformation parameters, float32 <c>N × k</c>, in their own units.</summary>
    public const string ProbeOutputName = "predictions";

    private const float BatchNormEpsilon = 1e-5f; // TorchSharp's BatchNorm2d default, which ResNetEncoder uses.

    /// <summary>
    /// Exports a fitted regression probe head — the bytes of <c>RegressionProbeModel.ToBytes</c>, which a transformation
    /// probe stores in its ML.NET model — to ONNX (opset <see cref="OpsetVersion"/>): input <see cref="ProbeInputName"/>
    /// <c>N × d</c>, output <see cref="ProbeOutputName"/> <c>N × k</c>; the standardisation of the features and of the
    /// targets is inside, batch norms are folded into the Linear layers. Needs no libtorch.
    /// </summary>
    /// <param name="probeBytes">The probe head, as <c>RegressionProbeModel.ToBytes</c> wrote it.</param>
    /// <param name="sourceName">Names the bytes in error messages. Default <c>"(regression probe)"</c>.</param>
    /// <returns>The serialized ONNX <c>ModelProto</c>.</returns>
    /// <exception cref="FormatException">The bytes are not a regression probe of a known format, or its weights do not match its header.</exception>
    public static byte[] ExportRegressionProbeToBytes(byte[] probeBytes, string sourceName = "(regression probe)")
    {
        ArgumentNullException.ThrowIfNull(probeBytes);
        return RegressionProbeGraph.Build(probeBytes, sourceName).ToByteArray();
    }

    /// <summary>Exports the encoder of the model file <paramref name="modelFile"/> to the ONNX file <paramref name="outPath"/> (written atomically).</summary>
    /// <param name="modelFile">An EquiRecon model file (<c>.equirecon</c>).</param>
    /// <param name="outPath">The ONNX file to write.</param>
    /// <param name="options">Input size and BatchNormalization folding; default <see langword="null"/>: <see cref="OnnxExportOptions"/>'s defaults.</param>
    /// <returns>The model file's manifest.</returns>
    /// <exception cref="ModelFileException">The model file is missing or invalid, or its weights do not match its manifest.</exception>
    /// <exception cref="ArgumentException"><see cref="OnnxExportOptions.InputSize"/> is below 8.</exception>
    public static ModelManifest ExportEncoder(string modelFile, string outPath, OnnxExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFile);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        var (manifest, weights) = ModelFile.ReadWeights(modelFile);
        var model = Build(manifest, weights, options ?? new OnnxExportOptions(), "model file " + modelFile);
        AtomicFile.Write(outPath, model.WriteTo);
        return manifest;
    }

    /// <summary>Exports the encoder of a model file held in memory and returns the ONNX model's bytes.</summary>
    /// <param name="modelFileBytes">An EquiRecon model file, byte for byte.</param>
    /// <param name="options">Input size and BatchNormalization folding; default <see langword="null"/>: <see cref="OnnxExportOptions"/>'s defaults.</param>
    /// <param name="sourceName">Names the bytes in error messages. Default <c>"(in-memory model file)"</c>.</param>
    /// <returns>The serialized ONNX <c>ModelProto</c>.</returns>
    /// <exception cref="ModelFileException">The bytes are not a valid model file, or its weights do not match its manifest.</exception>
    /// <exception cref="ArgumentException"><see cref="OnnxExportOptions.InputSize"/> is below 8.</exception>
    public static byte[] ExportEncoderToBytes(byte[] modelFileBytes, OnnxExportOptions? options = null, string sourceName = "(in-memory model file)")
    {
        ArgumentNullException.ThrowIfNull(modelFileBytes);
        var (manifest, weights) = ModelFile.ReadWeights(modelFileBytes, sourceName);
        return Build(manifest, weights, options ?? new OnnxExportOptions(), sourceName).ToByteArray();
    }

    private static ModelProto Build(ModelManifest manifest, byte[] weightBytes, OnnxExportOptions options, string source)
    {
        var size = options.InputSize ?? manifest.InputSize;
        if (size < 8)
            throw new ArgumentException($"OnnxExportOptions.InputSize must be at least 8 pixels, got {size.ToString(CultureInfo.InvariantCulture)}.", nameof(options));
        var config = EncoderSpecs.ToConfig(manifest.Encoder);
        var state = TorchStateDict.Read(weightBytes, source);
        var weights = new CheckedWeights(config, state, source);

        var g = new OnnxGraphWriter();
        g.Graph.Name = "equirecon_encoder";
        g.Graph.Input.Add(OnnxGraphWriter.FloatTensor(InputName, BatchDimension, 3, size, size));

        // Normalisation and input offset: x = pixels · 1/(255 std) + (−mean/std − offset).
        var scale = new float[3];
        var shiftChannel = new float[3];
        for (var c = 0; c < 3; c++)
        {
            scale[c] = (float)(1.0 / (255.0 * manifest.Std[c]));
            shiftChannel[c] = (float)(-(double)manifest.Mean[c] / manifest.Std[c]);
        }
        var x = g.Node("Mul", [InputName, g.Floats("normalize_scale", scale, 1, 3, 1, 1)]);
        if (config.InputOffsetSize > 0)
        {
            var offset = weights.InputOffset(size);
            var plane = size * size;
            var shift = new float[3 * plane];
            for (var c = 0; c < 3; c++)
            {
                for (var i = 0; i < plane; i++)
                    shift[c * plane + i] = shiftChannel[c] - offset[c * plane + i];
            }
            x = g.Node("Add", [x, g.Floats("normalize_shift_minus_input_offset", shift, 1, 3, size, size)]);
        }
        else
        {
            x = g.Node("Add", [x, g.Floats("normalize_shift", shiftChannel, 1, 3, 1, 1)]);
        }

        // Stem.
        var stemKernel = config.Stem == ResNetStem.Cifar ? 3 : 7;
        x = ConvBn(g, weights, x, "conv1", "bn1", stemKernel, config.Stem == ResNetStem.Cifar ? 1 : 2, stemKernel / 2, options.FoldBatchNorm);
        x = g.Node("Relu", [x]);
        if (config.Stem == ResNetStem.ImageNet)
        {
            x = g.Node("MaxPool", [x], null,
                OnnxGraphWriter.Ints("kernel_shape", 3, 3), OnnxGraphWriter.Ints("strides", 2, 2), OnnxGraphWriter.Ints("pads", 1, 1, 1, 1));
        }

        // Residual stages of basic blocks.
        var inChannels = config.Widths[0];
        for (var stage = 0; stage < config.Stages; stage++)
        {
            var width = config.Widths[stage];
            for (var block = 0; block < config.BlocksPerStage[stage]; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                var p = string.Create(CultureInfo.InvariantCulture, $"layer{stage + 1}.{block}.");
                var y = g.Node("Relu", [ConvBn(g, weights, x, p + "conv1", p + "bn1", 3, stride, 1, options.FoldBatchNorm)]);
                y = ConvBn(g, weights, y, p + "conv2", p + "bn2", 3, 1, 1, options.FoldBatchNorm);
                var shortcut = stride != 1 || inChannels != width
                    ? ConvBn(g, weights, x, p + "downsample.0", p + "downsample.1", 1, stride, 0, options.FoldBatchNorm)
                    : x;
                x = g.Node("Relu", [g.Node("Add", [y, shortcut])]);
                inChannels = width;
            }
        }

        // Head: tokens (N, h·w, C) row-major, pooled = their mean, split by channel.
        var channels = config.Channels;
        var side = config.TokenGridSize(size);
        var flat = g.Node("Reshape", [x, g.Longs("tokens_shape", [0, channels, -1], 3)]);
        g.Node("Transpose", [flat], TokensOutputName, OnnxGraphWriter.Ints("perm", 0, 2, 1));
        var pooled = g.Node("ReduceMean", [TokensOutputName], "pooled", OnnxGraphWriter.Ints("axes", 1), OnnxGraphWriter.Int("keepdims", 0));
        var ci = config.Split.InvariantChannels;
        var axes = g.Longs("split_axes", [1], 1);
        g.Node("Slice", [pooled, g.Longs("invariant_starts", [0], 1), g.Longs("invariant_ends", [ci], 1), axes], InvariantOutputName);
        g.Node("Slice", [pooled, g.Longs("equivariant_starts", [ci], 1), g.Longs("equivariant_ends", [channels], 1), axes], EquivariantOutputName);
        g.Graph.Output.Add(OnnxGraphWriter.FloatTensor(InvariantOutputName, BatchDimension, ci));
        g.Graph.Output.Add(OnnxGraphWriter.FloatTensor(EquivariantOutputName, BatchDimension, config.Split.EquivariantChannels));
        g.Graph.Output.Add(OnnxGraphWriter.FloatTensor(TokensOutputName, BatchDimension, side * side, channels));
        weights.CheckAllUsed();

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "EquiRecon.Onnx",
            ProducerVersion = ModelFile.LibraryVersion,
            Graph = g.Graph,
            DocString = $"EquiRecon encoder ({manifest.Encoder.Stem} stem, widths {string.Join("-", manifest.Encoder.Widths)}), method '{manifest.Method}'. " +
                $"Input '{InputName}': float32 N x 3 x {size} x {size} RGB pixels in [0, 255]; normalisation inside.",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        var inv = CultureInfo.InvariantCulture;
        AddMetadata(model, "equirecon.method", manifest.Method);
        AddMetadata(model, "equirecon.input_size", size.ToString(inv));
        AddMetadata(model, "equirecon.model_input_size", manifest.InputSize.ToString(inv));
        AddMetadata(model, "equirecon.mean", string.Join(",", manifest.Mean.Select(v => v.ToString("R", inv))));
        AddMetadata(model, "equirecon.std", string.Join(",", manifest.Std.Select(v => v.ToString("R", inv))));
        AddMetadata(model, "equirecon.weights_sha256", manifest.WeightsSha256);
        AddMetadata(model, "equirecon.batchnorm", options.FoldBatchNorm ? "folded" : "kept");
        AddMetadata(model, "equirecon.library_version", manifest.LibraryVersion);
        return model;
    }

    private static void AddMetadata(ModelProto model, string key, string value) =>
        model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });

    /// <summary>Conv (no bias in the module) followed by its BatchNormalization: folded into one Conv with bias, or kept.</summary>
    private static string ConvBn(OnnxGraphWriter g, CheckedWeights w, string x, string conv, string bn, int kernel, int stride, int pad, bool fold)
    {
        var weight = w.Float(conv + ".weight", out var shape);
        var outChannels = (int)shape[0];
        var gamma = w.Float(bn + ".weight", out _);
        var beta = w.Float(bn + ".bias", out _);
        var mean = w.Float(bn + ".running_mean", out _);
        var variance = w.Float(bn + ".running_var", out _);
        w.Use(bn + ".num_batches_tracked");
        AttributeProto[] attributes =
        [
            OnnxGraphWriter.Ints("kernel_shape", kernel, kernel),
            OnnxGraphWriter.Ints("strides", stride, stride),
            OnnxGraphWriter.Ints("pads", pad, pad, pad, pad),
        ];
        if (!fold)
        {
            var y = g.Node("Conv", [x, g.Floats(conv + ".weight", weight, shape)], null, attributes);
            return g.Node("BatchNormalization",
                [y, g.Floats(bn + ".weight", gamma, outChannels), g.Floats(bn + ".bias", beta, outChannels),
                 g.Floats(bn + ".running_mean", mean, outChannels), g.Floats(bn + ".running_var", variance, outChannels)],
                null, OnnxGraphWriter.Float("epsilon", BatchNormEpsilon));
        }
        var perOutput = weight.Length / outChannels;
        var folded = new float[weight.Length];
        var bias = new float[outChannels];
        for (var o = 0; o < outChannels; o++)
        {
            var s = gamma[o] / Math.Sqrt((double)variance[o] + BatchNormEpsilon);
            for (var k = 0; k < perOutput; k++)
                folded[o * perOutput + k] = (float)(weight[o * perOutput + k] * s);
            bias[o] = (float)(beta[o] - mean[o] * s);
        }
        return g.Node("Conv", [x, g.Floats(conv + ".weight_bn_folded", folded, shape), g.Floats(conv + ".bias_bn_folded", bias, outChannels)], null, attributes);
    }
}
