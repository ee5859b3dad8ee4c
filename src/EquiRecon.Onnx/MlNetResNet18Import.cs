using System.Globalization;
using System.Security.Cryptography;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.Onnx;

/// <summary>
/// Imports ML.NET's ImageNet ResNet-18 (the NuGet package <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, a CNTK 2.6
/// export: <c>ResNet18.onnx</c> and its input graph <c>ResNetPreprocess.onnx</c>) into an EquiRecon model file with
/// the <see cref="ResNetEncoderConfig.MlNetResNet18"/> encoder, whose pooled output is the 512 features of ML.NET's
/// featurizer.
/// </summary>
/// <remarks>
/// <para>CNTK pads its stride-2 layers on the top and left only (pads <c>[3, 3, 2, 2]</c> and <c>[1, 1, 0, 0]</c>); on
/// even sides that is exactly PyTorch's symmetric padding (3 and 1), whose bottom/right row and column no strided
/// window reaches, so the encoder is <see cref="ResNetEncoderConfig.MlNetResNet18"/> unchanged and input sizes must be
/// multiples of 32.</para>
/// <para>The graph is walked by topology from its input (stem, nine basic blocks, average pool) and every node is
/// checked — operator, kernel, stride, padding, epsilon, no bias, the shape of each initializer — before any weight is
/// copied; a mismatch throws <see cref="OnnxImportException"/> naming the node.</para>
/// <para>Input convention: ML.NET feeds RGB pixels in 0–255, the preprocessing graph reorders them to BGR and subtracts a
/// 224×224 mean image. The model file stores RGB mean and std applied to [0, 1] pixels, so the stem convolution's input
/// channels are reversed (the encoder takes RGB), mean = the mean image's per-channel spatial mean / 255 and
/// std = <see cref="NormalizationStd"/> (ImageNet's), folded exactly into the stem convolution (its weights for input
/// channel c are multiplied by 255 · std[c]), so normalized inputs have about unit scale as for every other encoder (the
/// reconstruction objective's targets too); the mean image's deviation from its per-channel means becomes the encoder's
/// <c>input_offset</c> (<see cref="ResNetEncoderConfig.InputOffsetSize"/>), so the import reproduces ML.NET's pipeline.
/// At 224 px the result equals ML.NET's two graphs up to float rounding; the manifest's provenance records the convention.</para>
/// </remarks>
public static class MlNetResNet18Import
{
    /// <summary>The NuGet package holding the ONNX files.</summary>
    public const string PackageId = "Microsoft.ML.DnnImageFeaturizer.ResNet18";

    /// <summary>The package version this importer was written and tested against.</summary>
    public const string PackageVersion = "0.23.1";

    /// <summary>The manifest's method name for imported (not trained here) encoders.</summary>
    public const string MethodName = ModelManifest.ImportedMethod;

    /// <summary>The encoder preset name (<see cref="EncoderNames"/>) of the imported encoder.</summary>
    public const string EncoderName = "mlnet-resnet18";

    /// <summary>File name of the network.</summary>
    public const string ModelFileName = "ResNet18.onnx";

    /// <summary>File name of the preprocessing graph.</summary>
    public const string PreprocessFileName = "ResNetPreprocess.onnx";

    /// <summary>The input size ML.NET uses (the ONNX graphs are fixed at 224×224).</summary>
    public const int DefaultInputSize = 224;

    /// <summary>SHA-256 of <see cref="ModelFileName"/> in package version <see cref="PackageVersion"/>.</summary>
    public const string KnownModelSha256 = "e2552f19db2dfdb01b3669537b6a0f1b44da38d18279535492ed5dfc2ef1ff8f";

    /// <summary>SHA-256 of <see cref="PreprocessFileName"/> in package version <see cref="PackageVersion"/>.</summary>
    public const string KnownPreprocessSha256 = "84bf8def78d0befaa3f6e73745d57d7016c6a192ead76f79686bd438c1047004";

    private const string ModelFolder = "ResNet18Onnx";
    private const string PreprocessFolder = "ResNetPrepOnnx";
    private const string BatchNormEpsilonText = "1e-05";
    private const float BatchNormEpsilon = 1e-5f;

    /// <summary>
    /// The package's folder in the NuGet global packages folder (<c>NUGET_PACKAGES</c>, else <c>~/.nuget/packages</c>):
    /// <c>…/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1</c>, holding <c>tools/DnnImageModels/…</c>.
    /// </summary>
    /// <exception cref="OnnxImportException">The package is not there; the message names the folder searched and how to get it.</exception>
    public static string FindPackageFolder()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var folder = Path.Combine(root, PackageId.ToLowerInvariant(), PackageVersion);
        if (!File.Exists(Path.Combine(folder, "tools", "DnnImageModels", ModelFolder, ModelFileName)))
            throw new OnnxImportException(
                $"ML.NET's ResNet-18 ({PackageId} {PackageVersion}) was not found in the NuGet global packages folder: searched {folder}. " +
                $"Get it with `dotnet add package {PackageId} --version {PackageVersion}` in any project (then restore), " +
                $"or pass the folder holding {ModelFileName} and {PreprocessFileName}.");
        return folder;
    }

    /// <summary>
    /// Finds <see cref="ModelFileName"/> and <see cref="PreprocessFileName"/> from a file or folder: null means
    /// <see cref="FindPackageFolder"/>; a folder may be the package folder, its <c>tools/DnnImageModels</c> (also what the
    /// package copies to a build output as <c>DnnImageModels/</c>), or a folder holding both files; a path to
    /// <c>ResNet18.onnx</c> finds the preprocessing graph beside it or in <c>../ResNetPrepOnnx/</c>.
    /// </summary>
    /// <param name="from">A folder, the path of <c>ResNet18.onnx</c>, or null for the NuGet global packages folder.</param>
    /// <returns>The full paths of the network and of the preprocessing graph.</returns>
    /// <exception cref="OnnxImportException">A file is missing; the message lists the places looked at.</exception>
    public static (string ModelPath, string PreprocessPath) LocateFiles(string? from = null)
    {
        string[] modelCandidates, prepCandidates;
        if (from is null)
        {
            from = FindPackageFolder();
        }
        from = Path.GetFullPath(from);
        if (File.Exists(from))
        {
            var dir = Path.GetDirectoryName(from)!;
            modelCandidates = [from];
            prepCandidates = [Path.Combine(dir, PreprocessFileName), Path.GetFullPath(Path.Combine(dir, "..", PreprocessFolder, PreprocessFileName))];
        }
        else if (Directory.Exists(from))
        {
            string[] roots = [from, Path.Combine(from, "DnnImageModels"), Path.Combine(from, "tools", "DnnImageModels")];
            modelCandidates = roots.SelectMany(r => new[] { Path.Combine(r, ModelFileName), Path.Combine(r, ModelFolder, ModelFileName) }).ToArray();
            prepCandidates = roots.SelectMany(r => new[] { Path.Combine(r, PreprocessFileName), Path.Combine(r, PreprocessFolder, PreprocessFileName) }).ToArray();
        }
        else
        {
            throw new OnnxImportException($"Neither a file nor a folder: {from}. Pass the folder holding {ModelFileName} and {PreprocessFileName} or the path of {ModelFileName}.");
        }
        var model = modelCandidates.FirstOrDefault(File.Exists)
            ?? throw new OnnxImportException($"{ModelFileName} not found; looked at: {string.Join(", ", modelCandidates)}.");
        var prep = prepCandidates.FirstOrDefault(File.Exists)
            ?? throw new OnnxImportException($"{PreprocessFileName} not found; looked at: {string.Join(", ", prepCandidates)}.");
        return (model, prep);
    }

    /// <summary>Reads the input convention of <c>ResNetPreprocess.onnx</c>, checking its graph (Split → Concat → Sub of a mean image).</summary>
    /// <param name="preprocessPath">Path of <c>ResNetPreprocess.onnx</c>.</param>
    /// <exception cref="OnnxImportException">The file is missing or its graph is not the expected one; the message names the node.</exception>
    public static MlNetPreprocessing ReadPreprocessing(string preprocessPath)
    {
        var g = OnnxGraph.Read(preprocessPath, "The preprocessing graph");
        var input = g.SingleInput();
        var shape = g.Shape(input);
        if (shape.Length != 4 || shape[0] != 1 || shape[1] != 3 || shape[2] != shape[3] || shape[2] < 32)
            throw g.Fail($"input '{input.Name}' has shape {OnnxGraph.Format(shape)}, expected [1, 3, S, S]");
        var size = checked((int)shape[2]);

        var split = g.Next(input.Name, "Split", "into R, G, B");
        if (OnnxGraph.Int(split, "axis", 0) != 1 || split.Output.Count != 3)
            throw g.Fail(split, $"expected a split of axis 1 into 3 outputs, found axis {OnnxGraph.Int(split, "axis", 0)} into {split.Output.Count}");
        g.Expect(split, "split", [1, 1, 1], [1, 1, 1], "one channel each");
        var concat = g.Next(split.Output[0], "Concat", "channel reorder");
        g.Inputs(concat, 3, "the three channels");
        if (OnnxGraph.Int(concat, "axis", -1) != 1)
            throw g.Fail(concat, $"expected axis 1, found {OnnxGraph.Int(concat, "axis", -1)}");
        foreach (var o in split.Output)
        {
            if (g.Consumers(o).Count != 1 || g.Consumers(o)[0] != concat)
                throw g.Fail(split, $"output '{o}' must feed only {OnnxGraph.Name(concat)}");
        }
        // Concat's inputs name which input channel (0 = R, 1 = G, 2 = B) lands at each position.
        var order = concat.Input.Select(i => split.Output.IndexOf(i)).ToArray();
        if (!order.SequenceEqual([2, 1, 0]))
            throw g.Fail(concat, $"expected the channels reordered RGB → BGR (inputs {split.Output[2]}, {split.Output[1]}, {split.Output[0]}), found {string.Join(", ", concat.Input)}");

        var sub = g.Next(g.Output(concat), "Sub", "mean image");
        g.Inputs(sub, 2, "pixels, mean image");
        if (sub.Input[0] != concat.Output[0])
            throw g.Fail(sub, "expected the reordered pixels as the first input (pixels − mean)");
        var mean = g.Floats(sub, 1, [1, 3, size, size], "mean image");
        if (g.Output(sub) != g.SingleOutput().Name)
            throw g.Fail(sub, $"expected its output to be the graph output '{g.SingleOutput().Name}'");
        g.CheckAllVisited();

        var plane = size * size;
        var means = new double[3];
        var deviation = 0.0;
        for (var c = 0; c < 3; c++)
        {
            var sum = 0.0;
            for (var i = 0; i < plane; i++)
                sum += mean[c * plane + i];
            means[c] = sum / plane;
            for (var i = 0; i < plane; i++)
                deviation = Math.Max(deviation, Math.Abs(mean[c * plane + i] - means[c]));
        }
        return new MlNetPreprocessing
        {
            ChannelOrder = "BGR",
            Scale = "0-255",
            InputSize = size,
            ChannelMeans = means,
            ChannelMeansRgb = [means[2], means[1], means[0]],
            MeanImageMaxDeviation = deviation,
            MeanImage = mean,
        };
    }

    /// <summary>
    /// The standard deviations (RGB, [0, 1] pixels) of the imported model's normalisation: ImageNet's 0.229, 0.224, 0.225
    /// (torchvision's). ML.NET's network takes unscaled 0–255 pixels; the scale is folded into the stem convolution.
    /// </summary>
    public static IReadOnlyList<float> NormalizationStd { get; } = Array.AsReadOnly(new[] { 0.229f, 0.224f, 0.225f });

    /// <summary>
    /// Makes the encoder take <c>(x01 − mean) / std</c> instead of ML.NET's <c>x255 − meanImage</c> (both RGB after the
    /// channel reversal): <c>conv1</c>'s weights of input channel c are multiplied by <c>255 · std[c]</c>, and
    /// <c>input_offset = (meanImage_rgb − channelMean) / (255 · std)</c>, computed at the mean image's size (the encoder
    /// resizes it to other input sizes).
    /// </summary>
    private static void FoldNormalization(ResNetEncoder encoder, MlNetPreprocessing prep, float[] std)
    {
        var state = encoder.state_dict();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var scale = tensor(std.Select(s => 255f * s).ToArray()).view(1, 3, 1, 1);
        state["conv1.weight"].mul_(scale);
        var size = prep.InputSize;
        if (encoder.Config.InputOffsetSize != size)
            throw new InvalidOperationException($"Importer bug: the encoder's input offset is {encoder.Config.InputOffsetSize} px but the mean image is {size} px.");
        var bgr = tensor(prep.MeanImage.ToArray()).view(1, 3, size, size);
        var rgb = bgr.flip(1);
        var channelMeans = tensor(prep.ChannelMeansRgb.Select(m => (float)m).ToArray()).view(1, 3, 1, 1);
        state["input_offset"].copy_((rgb - channelMeans) / scale);
    }

    /// <summary>
    /// Imports the network and writes an EquiRecon model file (atomically) whose encoder takes RGB images of
    /// <paramref name="inputSize"/> pixels and returns ML.NET's 512 ResNet-18 features as its pooled output.
    /// </summary>
    /// <param name="onnxPath">Path of <c>ResNet18.onnx</c>.</param>
    /// <param name="preprocessPath">Path of <c>ResNetPreprocess.onnx</c> (the input convention is read from it).</param>
    /// <param name="outPath">The model file to write.</param>
    /// <param name="inputSize">Image side recorded in the manifest: a multiple of 32 (224, ML.NET's size, by default; 128 gives 4×4 tokens).</param>
    /// <param name="provenance">Extra provenance entries (e.g. the command line); they override the importer's entries of the same key.</param>
    /// <returns>The manifest written.</returns>
    /// <exception cref="OnnxImportException">A file is missing or a graph is not the expected one; the message names the file and node.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="inputSize"/> is not a positive multiple of 32.</exception>
    public static ModelManifest Import(string onnxPath, string preprocessPath, string outPath, int inputSize = DefaultInputSize,
        IReadOnlyDictionary<string, string>? provenance = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(preprocessPath);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        if (inputSize < 32 || inputSize % 32 != 0)
            throw new ArgumentOutOfRangeException(nameof(inputSize), inputSize,
                $"The input size must be a positive multiple of 32 (then every stride-2 layer sees even sides, where CNTK's top/left padding equals the encoder's symmetric padding); got {inputSize}.");

        var prep = ReadPreprocessing(preprocessPath);
        var config = ResNetEncoderConfig.MlNetResNet18;
        using var encoder = EncoderFactory.Create(config);
        var weights = ReadWeights(onnxPath, config, prep.InputSize);
        using (no_grad())
        {
            var state = encoder.state_dict();
            foreach (var (name, values) in weights)
            {
                var target = state[name];
                using var source = tensor(values, target.shape);
                target.copy_(source);
            }
            var missing = state.Keys.Where(k => !weights.ContainsKey(k) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && k != "input_offset").ToArray();
            if (missing.Length > 0)
                throw new InvalidOperationException($"Importer bug: no ONNX tensor was mapped onto {string.Join(", ", missing)}.");
        }
        encoder.eval();

        var modelSha = Sha256(onnxPath);
        var prepSha = Sha256(preprocessPath);
        var inv = CultureInfo.InvariantCulture;
        var entries = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["encoder"] = EncoderName,
            ["source_package"] = PackageId,
            ["source_package_version"] = modelSha == KnownModelSha256 && prepSha == KnownPreprocessSha256
                ? PackageVersion
                : $"unknown (the files' SHA-256 differ from those of {PackageVersion})",
            ["source_model"] = Path.GetFullPath(onnxPath),
            ["source_model_sha256"] = modelSha,
            ["source_preprocess"] = Path.GetFullPath(preprocessPath),
            ["source_preprocess_sha256"] = prepSha,
            ["source_input"] = $"RGB pixels 0-255, {prep.InputSize}x{prep.InputSize}, reordered to {prep.ChannelOrder}, minus a {prep.InputSize}x{prep.InputSize} mean image",
            ["source_channel_order"] = prep.ChannelOrder,
            ["source_scale"] = prep.Scale,
            ["source_channel_means_bgr"] = string.Join(",", prep.ChannelMeans.Select(m => m.ToString("R", inv))),
            ["mean_image"] = string.Create(inv,
                $"per-channel spatial means in the normalisation; the deviation from them (up to {prep.MeanImageMaxDeviation:F2} on the 0-255 scale) is the encoder's input_offset ({prep.InputSize} px, resized to other sizes); stem input channels reversed BGR to RGB; mean = channel mean / 255, std = ImageNet's {string.Join(", ", NormalizationStd.Select(v => v.ToString("R", inv)))} folded into conv1 (x 255 std)"),
            ["imported"] = DateTime.UtcNow.ToString("O", inv),
        };
        if (provenance is not null)
        {
            foreach (var (key, value) in provenance)
                entries[key] = value;
        }
        float[] meanRgb = [.. prep.ChannelMeansRgb.Select(m => (float)(m / 255.0))];
        float[] std = [.. NormalizationStd];
        FoldNormalization(encoder, prep, std);
        var manifest = ModelFile.Save(outPath, encoder, MethodName, inputSize, meanRgb, std, entries);
        VerifyRoundTrip(outPath, encoder);
        return manifest;
    }

    /// <summary>Walks <c>ResNet18.onnx</c> by topology, checks every node and returns our state-dict names with their values.</summary>
    internal static Dictionary<string, float[]> ReadWeights(string onnxPath, ResNetEncoderConfig config, int expectedInputSize)
    {
        var g = OnnxGraph.Read(onnxPath, "The ResNet-18 network");
        var weights = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var input = g.SingleInput();
        var shape = g.Shape(input);
        if (!shape.SequenceEqual([1, 3, expectedInputSize, expectedInputSize]))
            throw g.Fail($"input '{input.Name}' has shape {OnnxGraph.Format(shape)}, expected [1, 3, {expectedInputSize}, {expectedInputSize}] (the preprocessing graph's size)");

        // Stem: Conv 7×7 / 2 (pads top 3, left 3, bottom 2, right 2) → BN → ReLU → MaxPool 3×3 / 2 (pads top 1, left 1).
        var width = config.Widths[0];
        var conv = g.Next(input.Name, "Conv", "conv1");
        var stem = Conv(g, conv, "conv1", 3, width, 7, 2, [3, 3, 2, 2]);
        weights["conv1.weight"] = ReverseInputChannels(stem, width, 3, 7 * 7);
        var x = BatchNorm(g, g.Next(g.Output(conv), "BatchNormalization", "bn1"), "bn1", width, weights);
        x = g.Output(g.Next(x, "Relu", "stem ReLU"));
        var pool = g.Next(x, "MaxPool", "maxpool");
        g.Inputs(pool, 1, "X");
        g.Expect(pool, "kernel_shape", [3, 3], null, "maxpool");
        g.Expect(pool, "strides", [2, 2], null, "maxpool");
        g.Expect(pool, "pads", [1, 1, 0, 0], null, "maxpool (top/left only)");
        g.Expect(pool, "dilations", [1, 1], [1, 1], "maxpool");
        if (OnnxGraph.Int(pool, "ceil_mode", 0) != 0 || OnnxGraph.Int(pool, "storage_order", 0) != 0 || OnnxGraph.String(pool, "auto_pad", "NOTSET") != "NOTSET")
            throw g.Fail(pool, "maxpool: expected ceil_mode 0, storage_order 0 and auto_pad NOTSET");
        x = g.Output(pool);

        // Residual stages.
        var inChannels = width;
        for (var stage = 0; stage < config.Stages; stage++)
        {
            width = config.Widths[stage];
            for (var block = 0; block < config.BlocksPerStage[stage]; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                x = Block(g, x, $"layer{stage + 1}.{block}", inChannels, width, stride, weights);
                inChannels = width;
            }
        }

        // Head: AveragePool over the whole last map (7×7 at 224 px) = the mean over tokens.
        var side = config.TokenGridSize(expectedInputSize);
        var avg = g.Next(x, "AveragePool", "global average pool");
        g.Inputs(avg, 1, "X");
        g.Expect(avg, "kernel_shape", [side, side], null, "global average pool");
        g.Expect(avg, "strides", [1, 1], [1, 1], "global average pool");
        g.Expect(avg, "pads", [0, 0, 0, 0], [0, 0, 0, 0], "global average pool");
        if (OnnxGraph.Int(avg, "ceil_mode", 0) != 0 || OnnxGraph.String(avg, "auto_pad", "NOTSET") != "NOTSET")
            throw g.Fail(avg, "global average pool: expected ceil_mode 0 and auto_pad NOTSET");
        var output = g.SingleOutput();
        if (g.Output(avg) != output.Name)
            throw g.Fail(avg, $"expected its output to be the graph output '{output.Name}'");
        if (!g.Shape(output).SequenceEqual([1, config.Channels, 1, 1]))
            throw g.Fail($"output '{output.Name}' has shape {OnnxGraph.Format(g.Shape(output))}, expected [1, {config.Channels}, 1, 1]");
        g.CheckAllVisited();
        return weights;
    }

    private static string Block(OnnxGraph g, string x, string prefix, int inChannels, int width, int stride, Dictionary<string, float[]> weights)
    {
        var downsample = stride != 1 || inChannels != width;
        var next = g.Consumers(x);
        var mains = next.Where(n => n.OpType == "Conv" && OnnxGraph.Ints(n, "kernel_shape")?.SequenceEqual([3L, 3L]) == true).ToArray();
        var shortcuts = next.Where(n => n.OpType == "Conv" && OnnxGraph.Ints(n, "kernel_shape")?.SequenceEqual([1L, 1L]) == true).ToArray();
        var adds = next.Where(n => n.OpType == "Add").ToArray();
        var expectedCount = 2; // main conv + (shortcut conv or the Add of the identity)
        if (mains.Length != 1 || (downsample ? shortcuts.Length != 1 || adds.Length != 0 : shortcuts.Length != 0 || adds.Length != 1) || next.Count != expectedCount)
            throw g.Fail($"{prefix}: expected '{x}' to feed a 3×3 Conv and {(downsample ? "a 1×1 Conv (projection shortcut)" : "the block's Add (identity shortcut)")}, found {string.Join(", ", next.Select(OnnxGraph.Name))}");

        var conv1 = g.Visit(mains[0]);
        weights[prefix + ".conv1.weight"] = Conv(g, conv1, prefix + ".conv1", inChannels, width, 3, stride, stride == 2 ? [1, 1, 0, 0] : [1, 1, 1, 1]);
        var y = BatchNorm(g, g.Next(g.Output(conv1), "BatchNormalization", prefix + ".bn1"), prefix + ".bn1", width, weights);
        y = g.Output(g.Next(y, "Relu", prefix + " ReLU"));
        var conv2 = g.Next(y, "Conv", prefix + ".conv2");
        weights[prefix + ".conv2.weight"] = Conv(g, conv2, prefix + ".conv2", width, width, 3, 1, [1, 1, 1, 1]);
        y = BatchNorm(g, g.Next(g.Output(conv2), "BatchNormalization", prefix + ".bn2"), prefix + ".bn2", width, weights);

        string shortcut;
        if (downsample)
        {
            var proj = g.Visit(shortcuts[0]);
            weights[prefix + ".downsample.0.weight"] = Conv(g, proj, prefix + ".downsample.0", inChannels, width, 1, stride, [0, 0, 0, 0]);
            shortcut = BatchNorm(g, g.Next(g.Output(proj), "BatchNormalization", prefix + ".downsample.1"), prefix + ".downsample.1", width, weights);
        }
        else
        {
            shortcut = x;
        }
        var add = g.Next(y, "Add", prefix + " residual Add");
        g.Inputs(add, 2, "residual, shortcut");
        if (!(add.Input.Contains(y) && add.Input.Contains(shortcut)))
            throw g.Fail(add, $"{prefix}: expected inputs '{y}' and '{shortcut}' (the {(downsample ? "projection" : "identity")} shortcut), found {string.Join(", ", add.Input)}");
        if (downsample && g.Consumers(shortcut).Count != 1)
            throw g.Fail(add, $"{prefix}: the shortcut '{shortcut}' feeds other nodes too");
        return g.Output(g.Next(g.Output(add), "Relu", prefix + " output ReLU"));
    }

    private static float[] Conv(OnnxGraph g, NodeProto node, string role, int inChannels, int outChannels, int kernel, int stride, long[] pads)
    {
        if (node.Input.Count == 3)
            throw g.Fail(node, $"{role}: expected no bias, found bias '{node.Input[2]}'");
        g.Inputs(node, 2, "X, W");
        g.Expect(node, "kernel_shape", [kernel, kernel], null, role);
        g.Expect(node, "strides", [stride, stride], [1, 1], role);
        g.Expect(node, "pads", pads, [0, 0, 0, 0], role + (stride == 2 && kernel > 1 ? " (CNTK pads top/left)" : ""));
        g.Expect(node, "dilations", [1, 1], [1, 1], role);
        if (OnnxGraph.Int(node, "group", 1) != 1)
            throw g.Fail(node, $"{role}: expected group 1, found {OnnxGraph.Int(node, "group", 1)}");
        var autoPad = OnnxGraph.String(node, "auto_pad", "NOTSET");
        if (autoPad != "NOTSET")
            throw g.Fail(node, $"{role}: expected auto_pad NOTSET (explicit pads), found {autoPad}");
        return g.Floats(node, 1, [outChannels, inChannels, kernel, kernel], role + ".weight");
    }

    private static string BatchNorm(OnnxGraph g, NodeProto node, string role, int channels, Dictionary<string, float[]> weights)
    {
        g.Inputs(node, 5, "X, scale, B, mean, var");
        var epsilon = OnnxGraph.Float(node, "epsilon", BatchNormEpsilon);
        if (Math.Abs(epsilon - BatchNormEpsilon) > 1e-9f)
            throw g.Fail(node, $"{role}: expected epsilon {BatchNormEpsilonText} (TorchSharp's), found {epsilon.ToString("R", CultureInfo.InvariantCulture)}");
        if (OnnxGraph.Int(node, "spatial", 1) != 1)
            throw g.Fail(node, $"{role}: expected spatial 1 (one statistic per channel)");
        if (node.Output.Count != 1)
            throw g.Fail(node, $"{role}: expected one output (inference mode), found {node.Output.Count}");
        weights[role + ".weight"] = g.Floats(node, 1, [channels], role + " scale");
        weights[role + ".bias"] = g.Floats(node, 2, [channels], role + " B");
        weights[role + ".running_mean"] = g.Floats(node, 3, [channels], role + " mean");
        var variance = g.Floats(node, 4, [channels], role + " var");
        if (variance.Any(v => !(v >= 0) || !float.IsFinite(v)))
            throw g.Fail(node, $"{role}: the variance has negative or non-finite entries");
        weights[role + ".running_var"] = variance;
        return g.Output(node);
    }

    /// <summary>Reverses the input channels of an <c>(out, in, k·k)</c> weight: the network reads BGR, our encoder RGB.</summary>
    private static float[] ReverseInputChannels(float[] weight, int outChannels, int inChannels, int plane)
    {
        var result = new float[weight.Length];
        for (var o = 0; o < outChannels; o++)
        {
            for (var i = 0; i < inChannels; i++)
                Array.Copy(weight, (o * inChannels + i) * plane, result, (o * inChannels + (inChannels - 1 - i)) * plane, plane);
        }
        return result;
    }

    private static void VerifyRoundTrip(string path, ResNetEncoder encoder)
    {
        using var scope = NewDisposeScope();
        using var loaded = ModelFile.Load(path);
        var expected = encoder.state_dict();
        var actual = loaded.Encoder.state_dict();
        foreach (var (name, value) in expected)
        {
            if (!actual.TryGetValue(name, out var other) || !value.shape.SequenceEqual(other.shape) || !value.to(CPU).eq(other.to(CPU)).all().item<bool>())
                throw new ModelFileException($"Model file {path}: '{name}' does not read back as written; the file is not usable.");
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
