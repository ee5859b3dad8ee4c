using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary><c>Runtime = OnnxRuntime</c>: the encoder exported in memory and run by ONNX Runtime gives TorchSharp's features.</summary>
public sealed class FeaturizerOnnxRuntimeTests
{
    private const double Tolerance = 1e-4;

    [Fact]
    public void OnnxRuntime_features_equal_TorchSharps_in_Transform_and_in_a_PredictionEngine()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 7);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);
        var torchModel = DefaultPipeline(mlContext, InferenceRuntime.TorchSharp).Fit(data);
        var onnxModel = DefaultPipeline(mlContext, InferenceRuntime.OnnxRuntime).Fit(data);
        var featurizer = onnxModel.LastTransformer;
        featurizer.Runtime.Should().Be(InferenceRuntime.OnnxRuntime);
        featurizer.Device.Should().Be("cpu");

        foreach (var column in new[] { EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant })
        {
            var expected = TinyModel.ReadColumn(torchModel.Transform(data), column);
            var batched = TinyModel.ReadColumn(onnxModel.Transform(data), column);
            ShouldMatchRelative(batched, expected, "Transform, batches of 3: " + column);
        }

        using var torchEngine = mlContext.Model.CreatePredictionEngine<TinyModel.ImageInput, DefaultFeatures>(torchModel);
        using var onnxEngine = mlContext.Model.CreatePredictionEngine<TinyModel.ImageInput, DefaultFeatures>(onnxModel);
        foreach (var path in paths)
        {
            var expected = torchEngine.Predict(new TinyModel.ImageInput { ImagePath = path });
            var actual = onnxEngine.Predict(new TinyModel.ImageInput { ImagePath = path });
            ShouldMatchRelative([actual.Invariant, actual.Equivariant], [expected.Invariant, expected.Equivariant], "PredictionEngine " + path);
        }
    }

    [Fact]
    public void Save_and_Load_keep_the_runtime_and_the_features()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 3);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);
        var model = DefaultPipeline(mlContext, InferenceRuntime.OnnxRuntime).Fit(data);
        var original = TinyModel.ReadColumn(model.Transform(data), EquiReconColumnNames.Invariant);
        var zip = temp.File("onnx.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        var loaded = new MLContext(seed: 2).Model.Load(zip, out _);
        var featurizer = ((TransformerChain<ITransformer>)loaded).LastTransformer.Should().BeOfType<EquiReconFeaturizerTransformer>().Subject;
        featurizer.Runtime.Should().Be(InferenceRuntime.OnnxRuntime);
        TinyModel.ReadColumn(loaded.Transform(data), EquiReconColumnNames.Invariant).Should().BeEquivalentTo(original, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_GPU_request_without_the_CUDA_provider_falls_back_to_the_CPU_or_says_what_to_change()
    {
        using var temp = new TempDir();
        var data = TinyModel.Data(new MLContext(), TestImages.WriteSyntheticPngs(temp.Path, 1));

        var fallback = new MLContext { GpuDeviceId = 0, FallbackToCpu = true };
        var model = DefaultPipeline(fallback, InferenceRuntime.OnnxRuntime).Fit(data);
        model.LastTransformer.Device.Should().Be("cpu");

        var strict = new MLContext { GpuDeviceId = 0, FallbackToCpu = false };
        var act = () => DefaultPipeline(strict, InferenceRuntime.OnnxRuntime).Fit(data);
        act.Should().Throw<InvalidOperationException>().WithMessage("*GpuDeviceId is 0*CUDA execution provider*FallbackToCpu*");
    }

    [Fact]
    public void An_undefined_runtime_is_refused_with_the_option_named()
    {
        var act = () => new MLContext().Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { Runtime = (InferenceRuntime)7 });
        act.Should().Throw<ArgumentException>().WithMessage("Runtime is 7*TorchSharp or OnnxRuntime*");
    }

    private sealed class DefaultFeatures
    {
        [Microsoft.ML.Data.VectorType(128)]
        public float[] Invariant { get; set; } = [];

        [Microsoft.ML.Data.VectorType(128)]
        public float[] Equivariant { get; set; } = [];
    }

    private static EstimatorChain<EquiReconFeaturizerTransformer> DefaultPipeline(MLContext mlContext, InferenceRuntime runtime)
        => mlContext.Transforms.LoadImages(EquiReconColumnNames.Image, imageFolder: null, inputColumnName: TinyModel.PathColumn)
            .Append(mlContext.Transforms.ResizeImages(EquiReconColumnNames.Image, TinyModel.Size, TinyModel.Size))
            .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { Runtime = runtime, BatchSize = 3 }));

    private static void ShouldMatchRelative(float[][] actual, float[][] expected, string because)
    {
        actual.Should().HaveCount(expected.Length, because);
        for (int i = 0; i < expected.Length; i++)
        {
            actual[i].Should().HaveCount(expected[i].Length, because);
            double scale = expected[i].Max(v => Math.Abs(v));
            double diff = actual[i].Zip(expected[i], (a, e) => Math.Abs(a - e)).Max();
            diff.Should().BeLessThanOrEqualTo(Tolerance * scale, $"{because}: row {i}");
        }
    }
}
