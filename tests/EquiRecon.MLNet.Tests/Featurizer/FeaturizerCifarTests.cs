using Xunit.Abstractions;
using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>
/// The featurizer in a real ML.NET pipeline on CIFAR-10 JPEGs: LoadImages → ResizeImages → featurizer → Concatenate →
/// NormalizeMeanVariance → SdcaMaximumEntropy, evaluated, saved and reloaded.
/// </summary>
public sealed class FeaturizerCifarTests(ITestOutputHelper output)
{
    private static readonly string[] Classes = ["airplane", "frog", "truck"];
    private const int TrainPerClass = 70;
    private const int TestPerClass = 30;

    [Cifar10Fact]
    public void A_classifier_on_features_of_a_random_tiny_encoder_beats_chance_and_reloads_identically()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var (train, test) = Split();
        var mlContext = new MLContext(seed: 1);
        var trainData = mlContext.Data.LoadFromEnumerable(train);
        var testData = mlContext.Data.LoadFromEnumerable(test);
        var labels = mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label").Fit(trainData);

        var pipeline = TinyModel.Images(mlContext)
            .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile))
            .Append(mlContext.Transforms.Concatenate("Features", EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant))
            .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy("LabelKey", "Features", maximumNumberOfIterations: 50));
        var model = pipeline.Fit(labels.Transform(trainData));
        var scored = model.Transform(labels.Transform(testData));
        var metrics = mlContext.MulticlassClassification.Evaluate(scored, "LabelKey");

        output.WriteLine($"micro-accuracy {metrics.MicroAccuracy:F3}, macro-accuracy {metrics.MacroAccuracy:F3}, log-loss {metrics.LogLoss:F3} on {test.Length} test images");
        metrics.MicroAccuracy.Should().BeGreaterThan(0.4, "colour statistics survive a random encoder; chance is 1/3");
        metrics.ConfusionMatrix.NumberOfClasses.Should().Be(3);

        string zip = temp.File("classifier.zip");
        mlContext.Model.Save(model, trainData.Schema, zip);
        var scoredColumns = new[] { EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant, "Score" };
        var original = scoredColumns.ToDictionary(c => c, c => TinyModel.ReadColumn(scored, c));

        var reloadedContext = new MLContext(seed: 5);
        var reloaded = reloadedContext.Model.Load(zip, out _).Transform(reloadedContext.Data.LoadFromEnumerable(test));
        foreach (string column in scoredColumns)
            TinyModel.ReadColumn(reloaded, column).Should().BeEquivalentTo(original[column], o => o.WithStrictOrdering(), $"new MLContext, {column}");

        var paths = test.Select(t => t.ImagePath).ToArray();
        var probe = ModelLoadProbe.RunColumns(zip, TinyModel.PathColumn, scoredColumns, paths);
        foreach (string column in scoredColumns)
            probe.Columns[column].Should().BeEquivalentTo(original[column], o => o.WithStrictOrdering(), $"child process, {column}");

        using var engine = mlContext.Model.CreatePredictionEngine<LabeledImage, Prediction>(model);
        var perRow = test.Take(12).Select(engine.Predict).ToArray();
        TinyModel.ShouldMatch(perRow.Select(p => p.Invariant).ToArray(), original[EquiReconColumnNames.Invariant][..12], 1e-5f, "PredictionEngine invariant");
        TinyModel.ShouldMatch(perRow.Select(p => p.Score).ToArray(), original["Score"][..12], 1e-4f, "PredictionEngine scores");
    }

    private static (LabeledImage[] Train, LabeledImage[] Test) Split()
    {
        var train = new List<LabeledImage>();
        var test = new List<LabeledImage>();
        foreach (string label in Classes)
        {
            var paths = SharedData.Cifar10TestImages(TrainPerClass + TestPerClass, label);
            paths.Should().HaveCount(TrainPerClass + TestPerClass);
            train.AddRange(paths.Take(TrainPerClass).Select(p => new LabeledImage { ImagePath = p, Label = label }));
            test.AddRange(paths.Skip(TrainPerClass).Select(p => new LabeledImage { ImagePath = p, Label = label }));
        }

        return ([.. train], [.. test]);
    }

    public sealed class LabeledImage
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    public sealed class Prediction
    {
        [VectorType(TinyModel.Invariant)]
        public float[] Invariant { get; set; } = [];

        [VectorType(3)]
        public float[] Score { get; set; } = [];
    }
}
