using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>
/// The tolerance <c>EquiReconFeaturizerTransformer</c>'s remarks state between its two paths, measured on the default
/// encoder: a <c>PredictionEngine</c> (one row per forward pass) and the batched <c>Transform</c> agree within
/// <see cref="DocumentedTolerance"/>, and bitwise with <c>BatchSize = 1</c>.
/// </summary>
public sealed class FeaturizerPathAgreementTests(ITestOutputHelper output)
{
    /// <summary>The tolerance stated in the transformer's remarks and in <c>EquiReconFeaturizerOptions.BatchSize</c>.</summary>
    private const float DocumentedTolerance = 1e-5f;

    [Fact]
    public void PredictionEngine_and_batched_Transform_agree_within_the_documented_tolerance_and_bitwise_with_batch_size_1()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 24);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);

        var perRow = PerRow(mlContext, data, paths);
        var batched = Batched(mlContext, data, batchSize: 64);
        var batchOfOne = Batched(mlContext, data, batchSize: 1);

        float difference = MaxAbsDifference(perRow, batched);
        output.WriteLine($"max |PredictionEngine - Transform(BatchSize = 64)| = {difference:E2} over {paths.Length} images x 256 features (documented: {DocumentedTolerance:E0})");
        difference.Should().BeLessThanOrEqualTo(DocumentedTolerance);
        MaxAbsDifference(perRow, batchOfOne).Should().Be(0f, "with BatchSize = 1 both paths run the same forward pass");
        perRow.SelectMany(r => r).Should().OnlyContain(v => float.IsFinite(v));
    }

    private static float[][] PerRow(MLContext mlContext, IDataView data, string[] paths)
    {
        var model = TinyModel.Images(mlContext).Append(mlContext.Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { FeaturesColumnName = "Features" })).Fit(data);
        using var engine = mlContext.Model.CreatePredictionEngine<TinyModel.ImageInput, DefaultFeatures>(model);
        return paths.Select(p => engine.Predict(new TinyModel.ImageInput { ImagePath = p }).Features).ToArray();
    }

    private static float[][] Batched(MLContext mlContext, IDataView data, int batchSize)
    {
        var options = new EquiReconFeaturizerOptions { FeaturesColumnName = "Features", BatchSize = batchSize };
        return TinyModel.ReadColumn(TinyModel.Images(mlContext).Append(mlContext.Transforms.EquiRecon().FeaturizeImage(options)).Fit(data).Transform(data), "Features");
    }

    private static float MaxAbsDifference(float[][] a, float[][] b)
    {
        a.Should().HaveSameCount(b);
        return a.Zip(b).SelectMany(p => p.First.Zip(p.Second, (x, y) => Math.Abs(x - y))).Max();
    }

    public sealed class DefaultFeatures
    {
        [VectorType(256)]
        public float[] Features { get; set; } = [];
    }
}
