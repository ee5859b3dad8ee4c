using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using TorchSharp;
using Xunit.Abstractions;

namespace EquiRecon.Onnx.Tests;

public sealed class MlNetResNet18ImportTests(ITestOutputHelper output)
{
    private const int Size = MlNetResNet18Import.DefaultInputSize;

    [Fact]
    public void The_preprocessing_graph_reads_as_BGR_0_255_minus_a_mean_image()
    {
        var prep = MlNetResNet18Import.ReadPreprocessing(TestFiles.MlNet.Preprocess);
        prep.ChannelOrder.Should().Be("BGR");
        prep.Scale.Should().Be("0-255");
        prep.InputSize.Should().Be(224);
        prep.ChannelMeans.Should().HaveCount(3);
        prep.ChannelMeans[0].Should().BeApproximately(103.06, 0.01);
        prep.ChannelMeans[1].Should().BeApproximately(115.90, 0.01);
        prep.ChannelMeans[2].Should().BeApproximately(123.15, 0.01);
        prep.ChannelMeansRgb.Should().Equal(prep.ChannelMeans[2], prep.ChannelMeans[1], prep.ChannelMeans[0]);
        prep.MeanImageMaxDeviation.Should().BeInRange(1, 20);
        output.WriteLine(FormattableString.Invariant($"mean image: per-channel means B {prep.ChannelMeans[0]:F4}, G {prep.ChannelMeans[1]:F4}, R {prep.ChannelMeans[2]:F4}; max deviation {prep.MeanImageMaxDeviation:F3}"));
    }

    [Fact]
    public void Import_writes_a_model_file_with_the_converted_convention_and_provenance()
    {
        using var dir = new TempDir();
        var (model, prep) = TestFiles.MlNet;
        var path = dir.File("m.equirecon");
        var manifest = MlNetResNet18Import.Import(model, prep, path, 128, new Dictionary<string, string> { ["command"] = "test" });

        manifest.Method.Should().Be(MlNetResNet18Import.MethodName).And.Be("imported");
        manifest.InputSize.Should().Be(128);
        EncoderSpecs.ToConfig(manifest.Encoder).Should().Be(ResNetEncoderConfig.MlNetResNet18);
        var means = MlNetResNet18Import.ReadPreprocessing(prep).ChannelMeansRgb;
        manifest.Mean.Should().Equal(means.Select(m => (float)(m / 255)).ToArray());
        manifest.Std.Should().Equal(MlNetResNet18Import.NormalizationStd);
        var p = manifest.Provenance;
        p["command"].Should().Be("test");
        p["encoder"].Should().Be("mlnet-resnet18");
        p["source_package"].Should().Be("Microsoft.ML.DnnImageFeaturizer.ResNet18");
        p["source_package_version"].Should().Be("0.23.1");
        p["source_model_sha256"].Should().Be(MlNetResNet18Import.KnownModelSha256);
        p["source_preprocess_sha256"].Should().Be(MlNetResNet18Import.KnownPreprocessSha256);
        p["source_channel_order"].Should().Be("BGR");
        p["source_scale"].Should().Be("0-255");
        p["source_channel_means_bgr"].Split(',').Should().HaveCount(3);
        p["mean_image"].Should().Contain("per-channel spatial mean");

        ModelFile.ReadManifest(path).Should().BeEquivalentTo(manifest);
        using var loaded = ModelFile.Load(path);
        var tokens = loaded.Encode(torch.zeros([2, 3, 128, 128], dtype: torch.ScalarType.Byte)).Tokens;
        tokens.shape.Should().Equal(2, 16, 512);
    }

    [ImagenetteFact]
    public void Imported_encoder_reproduces_ML_NETs_ResNet18_features_on_real_images()
    {
        var (modelPath, prepPath) = TestFiles.MlNet;
        using var dir = new TempDir();
        var path = dir.File("mlnet-resnet18-224.equirecon");
        MlNetResNet18Import.Import(modelPath, prepPath, path);
        // Two images per class, decoded and resized by the library, so both paths see the same uint8 pixels.
        using var data = ImageFolder.Read(TestFiles.ImagenetteTest!, imageSize: Size, limitPerClass: 2);
        data.Count.Should().BeGreaterThanOrEqualTo(20);
        var n = data.Count;
        var pixels = data.Images.to(torch.float32).contiguous().data<float>().ToArray();
        var plane = Size * Size;

        // (b) our encoder: uint8 RGB → manifest normalisation → pooled features.
        using var encoder = ModelFile.Load(path);
        var ours = encoder.Encode(data.Images).Pooled.contiguous().data<float>().ToArray();

        var prepMeans = MlNetResNet18Import.ReadPreprocessing(prepPath).ChannelMeans; // BGR
        using var options = new SessionOptions { IntraOpNumThreads = 2 };
        using var prepSession = new InferenceSession(prepPath, options);
        using var netSession = new InferenceSession(modelPath, options);
        var ortFull = new float[n * 512];    // (a) ResNetPreprocess.onnx → ResNet18.onnx
        var ortMeans = new float[n * 512];   // (c) ResNet18.onnx on BGR 0-255 minus the per-channel means
        for (var i = 0; i < n; i++)
        {
            var rgb = pixels.AsSpan(i * 3 * plane, 3 * plane).ToArray();
            var preprocessed = Run(prepSession, rgb);
            Run(netSession, preprocessed).CopyTo(ortFull, i * 512);
            var bgr = new float[3 * plane];
            for (var c = 0; c < 3; c++)
            {
                var mean = (float)prepMeans[c];
                for (var j = 0; j < plane; j++)
                    bgr[c * plane + j] = rgb[(2 - c) * plane + j] - mean;
            }
            Run(netSession, bgr).CopyTo(ortMeans, i * 512);
        }

        var scale = ortFull.Max(Math.Abs);
        double MaxDiff(float[] x, float[] y) => x.Zip(y, (u, v) => (double)Math.Abs(u - v)).Max();
        var ab = MaxDiff(ortFull, ours) / scale;
        var cb = MaxDiff(ortMeans, ours) / scale;
        var ac = MaxDiff(ortFull, ortMeans) / scale;
        var meanAbs = ortFull.Average(Math.Abs);
        output.WriteLine(FormattableString.Invariant($"{n} Imagenette test images at {Size} px; feature scale max|f| = {scale:F4} (mean |f| {meanAbs:F4})"));
        output.WriteLine(FormattableString.Invariant($"(a) ORT preprocess+ResNet18 vs (b) ours: max abs diff / scale = {ab:E3} (max abs diff {ab * scale:F4})"));
        output.WriteLine(FormattableString.Invariant($"(c) ORT ResNet18 on per-channel means only vs (b) ours: max abs diff / scale = {cb:E3}"));
        output.WriteLine(FormattableString.Invariant($"(a) vs (c), the mean image vs its per-channel mean alone: max abs diff / scale = {ac:E3}"));
        var cosine = Enumerable.Range(0, n).Min(i => Cosine(ortFull.AsSpan(i * 512, 512), ours.AsSpan(i * 512, 512)));
        output.WriteLine(FormattableString.Invariant($"(a) vs (b): lowest per-image cosine similarity = {cosine:F6}"));

        // The encoder carries the mean image's deviation from its channel means as input_offset, so (b) is ML.NET's whole
        // pipeline (a) up to float rounding (the issue's target: 1e-3 of the feature scale); (c) shows what the mean image
        // is worth (about 5e-2 of the scale when it is replaced by its per-channel means).
        ab.Should().BeLessThanOrEqualTo(1e-4, "the import must reproduce ResNetPreprocess.onnx followed by ResNet18.onnx");
        cosine.Should().BeGreaterThanOrEqualTo(0.99999);
        ac.Should().BeGreaterThan(ab, "the per-channel means alone are an approximation of the mean image");
    }

    [Fact]
    public void Import_refuses_a_graph_with_a_changed_stride_naming_the_node()
    {
        using var dir = new TempDir();
        var (model, prep) = TestFiles.MlNet;
        var onnx = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        // The first 3×3 convolution after the stem (layer1.0.conv1), found by topology: it reads the max-pool's output.
        var pool = onnx.Graph.Node.Single(n => n.OpType == "MaxPool");
        var conv = onnx.Graph.Node.First(n => n.OpType == "Conv" && n.Input[0] == pool.Output[0]);
        var strides = conv.Attribute.Single(a => a.Name == "strides");
        strides.Ints.Clear();
        strides.Ints.Add([2, 2]);
        var damaged = dir.File("ResNet18.onnx");
        File.WriteAllBytes(damaged, onnx.ToByteArray());

        var act = () => MlNetResNet18Import.Import(damaged, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>()
            .WithMessage($"*{damaged}*'{conv.Name}'*layer1.0.conv1*strides [1, 1]*[2, 2]*");
        File.Exists(dir.File("m.equirecon")).Should().BeFalse();
    }

    [Fact]
    public void Import_refuses_a_changed_epsilon_a_bias_and_a_wrong_shape()
    {
        using var dir = new TempDir();
        var (model, prep) = TestFiles.MlNet;

        var eps = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        var bn = eps.Graph.Node.First(n => n.OpType == "BatchNormalization");
        bn.Attribute.Single(a => a.Name == "epsilon").F = 1e-3f;
        var epsPath = dir.File("eps.onnx");
        File.WriteAllBytes(epsPath, eps.ToByteArray());
        var act = () => MlNetResNet18Import.Import(epsPath, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage($"*'{bn.Name}'*bn1*epsilon*");

        var bias = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        var stem = bias.Graph.Node.First(n => n.OpType == "Conv");
        stem.Input.Add(bn.Input[2]);
        var biasPath = dir.File("bias.onnx");
        File.WriteAllBytes(biasPath, bias.ToByteArray());
        act = () => MlNetResNet18Import.Import(biasPath, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage($"*'{stem.Name}'*conv1*no bias*");

        var shape = ModelProto.Parser.ParseFrom(File.ReadAllBytes(model));
        var last = shape.Graph.Node.Last(n => n.OpType == "Conv");
        var weight = shape.Graph.Initializer.Single(t => t.Name == last.Input[1]);
        weight.Dims[0] = weight.Dims[0] / 2;
        weight.Dims[1] = weight.Dims[1] * 2;
        var shapePath = dir.File("shape.onnx");
        File.WriteAllBytes(shapePath, shape.ToByteArray());
        act = () => MlNetResNet18Import.Import(shapePath, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage($"*'{last.Name}'*layer4.2.conv2*shape [256, 1024, 3, 3]*expected [512, 512, 3, 3]*");
    }

    [Fact]
    public void Missing_or_unreadable_files_give_clear_messages()
    {
        using var dir = new TempDir();
        var (model, prep) = TestFiles.MlNet;
        var missing = dir.File("nope.onnx");
        var act = () => MlNetResNet18Import.Import(missing, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage($"*not found: {missing}*");
        act = () => MlNetResNet18Import.Import(model, missing, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage($"The preprocessing graph not found: {missing}*");

        var garbage = dir.File("garbage.onnx");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5]);
        act = () => MlNetResNet18Import.Import(garbage, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage($"*{garbage}*not an ONNX model*");

        // The preprocessing graph where the network is expected: its first node is a Split, not a Conv.
        act = () => MlNetResNet18Import.Import(prep, prep, dir.File("m.equirecon"));
        act.Should().Throw<OnnxImportException>().WithMessage("*expected*Conv*conv1*Split*");

        var locate = () => MlNetResNet18Import.LocateFiles(dir.Path);
        locate.Should().Throw<OnnxImportException>().WithMessage($"*ResNet18.onnx not found; looked at: {dir.Path}*");

        var size = () => MlNetResNet18Import.Import(model, prep, dir.File("m.equirecon"), inputSize: 100);
        size.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*multiple of 32*");
    }

    [Fact]
    public void LocateFiles_accepts_the_output_folder_the_onnx_path_and_finds_both_files()
    {
        var (model, prep) = MlNetResNet18Import.LocateFiles(Path.Combine(AppContext.BaseDirectory, "DnnImageModels"));
        Path.GetFileName(model).Should().Be("ResNet18.onnx");
        Path.GetFileName(prep).Should().Be("ResNetPreprocess.onnx");
        MlNetResNet18Import.LocateFiles(model).Should().Be((model, prep));
    }

    [Fact]
    public void FindPackageFolder_names_the_searched_folder_and_the_remedy()
    {
        using var dir = new TempDir();
        var saved = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        try
        {
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", dir.Path);
            var act = () => MlNetResNet18Import.FindPackageFolder();
            act.Should().Throw<OnnxImportException>()
                .WithMessage($"*{Path.Combine(dir.Path, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1")}*dotnet add package Microsoft.ML.DnnImageFeaturizer.ResNet18 --version 0.23.1*");

            var package = Path.Combine(dir.Path, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1", "tools", "DnnImageModels");
            foreach (var (file, folder) in new[] { (TestFiles.MlNet.Model, "ResNet18Onnx"), (TestFiles.MlNet.Preprocess, "ResNetPrepOnnx") })
            {
                Directory.CreateDirectory(Path.Combine(package, folder));
                File.Copy(file, Path.Combine(package, folder, Path.GetFileName(file)));
            }
            MlNetResNet18Import.FindPackageFolder().Should().Be(Path.Combine(dir.Path, "microsoft.ml.dnnimagefeaturizer.resnet18", "0.23.1"));
            MlNetResNet18Import.LocateFiles().ModelPath.Should().Be(Path.Combine(package, "ResNet18Onnx", "ResNet18.onnx"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("NUGET_PACKAGES", saved);
        }
    }

    private static float[] Run(InferenceSession session, float[] chw)
    {
        var inputName = session.InputNames[0];
        var outputName = session.OutputNames[0];
        using var input = OrtValue.CreateTensorValueFromMemory(chw, [1, 3, Size, Size]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [inputName], [input], [outputName]);
        return results[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
