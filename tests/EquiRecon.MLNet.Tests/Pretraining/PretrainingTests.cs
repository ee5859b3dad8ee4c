using System.Reflection;
using EquiRecon.MLNet.Pretraining;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;
using Microsoft.ML;
using TorchSharp;

namespace EquiRecon.MLNet.Tests.Pretraining;

public sealed class PretrainingTests
{
    private static EquiReconPretrainingOptions Tiny(int steps = 3) => new()
    {
        EncoderConfig = TinyModel.Encoder,
        HeadSizes = TinyModel.Heads,
        Steps = steps,
        BatchSize = 16,
        ReportEvery = 1,
        Seed = 4,
    };

    [Fact]
    public void Fit_trains_a_few_steps_and_returns_a_working_featurizer_that_round_trips()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 64);
        var mlContext = new MLContext(seed: 1);
        var messages = new List<string>();
        mlContext.Log += (_, e) => messages.Add(e.Message);
        var images = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, paths)).Transform(TinyModel.Data(mlContext, paths));

        var featurizer = mlContext.Transforms.EquiRecon().Pretrain(Tiny() with { FeaturesColumnName = "Features" }).Fit(images);

        featurizer.Manifest.Method.Should().Be("equirecon");
        featurizer.Manifest.Provenance["steps"].Should().Be("3");
        featurizer.Manifest.Provenance["images"].Should().Be("64");
        featurizer.InputSize.Should().Be(TinyModel.Size);
        featurizer.InvariantSize.Should().Be(TinyModel.Invariant);
        featurizer.EquivariantSize.Should().Be(TinyModel.Equivariant);
        var output = featurizer.Transform(images);
        var invariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Invariant);
        invariant.Should().HaveCount(64);
        invariant.SelectMany(r => r).Should().OnlyContain(v => float.IsFinite(v));
        TinyModel.ReadColumn(output, "Features").Should().HaveCount(64);
        messages.Should().Contain(m => m.Contains("Read 64 images of 32x32 px", StringComparison.Ordinal));
        messages.Should().Contain(m => m.Contains("step 3/3", StringComparison.Ordinal) && m.Contains("total", StringComparison.Ordinal));

        string zip = temp.File("pretrained.zip");
        mlContext.Model.Save(featurizer, images.Schema, zip);
        var reloaded = new MLContext(seed: 9).Model.Load(zip, out _);
        TinyModel.ReadColumn(reloaded.Transform(images), EquiReconColumnNames.Invariant).Should().BeEquivalentTo(invariant, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Pretrain_inside_a_pipeline_trains_before_the_classifier_in_one_Fit_reports_progress_and_saves_the_encoder()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 32);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(paths.Select((p, i) => new LabeledPath { ImagePath = p, Label = i % 2 == 0 ? "even" : "odd" }).ToArray());
        var reports = new RecordingProgress();
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(TinyModel.Images(mlContext))
            .Append(mlContext.Transforms.EquiRecon().Pretrain(Tiny() with { Progress = reports }))
            .Append(mlContext.Transforms.Concatenate("Features", "Invariant", "Equivariant"))
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 5))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var model = pipeline.Fit(data);

        reports.Steps.Should().Equal([1, 2, 3], "IProgress receives every report, as the log does with ReportEvery = 1");
        var featurizer = model.OfType<EquiRecon.MLNet.Featurizer.EquiReconFeaturizerTransformer>().Should().ContainSingle().Subject;
        featurizer.Manifest.Provenance["images"].Should().Be("32");
        var predicted = mlContext.Data.CreateEnumerable<Predicted>(model.Transform(data), reuseRowObject: false).Select(p => p.PredictedLabel).ToArray();
        predicted.Should().HaveCount(32).And.OnlyContain(l => l == "even" || l == "odd");

        string file = temp.File("pretrained.equirecon");
        featurizer.SaveModelFile(file);
        ModelFile.ReadWeights(file).Manifest.WeightsSha256.Should().Be(featurizer.Manifest.WeightsSha256);
        mlContext.Transforms.EquiRecon().FeaturizeImage(file).Manifest.Provenance["steps"].Should().Be("3", "the file is the pretrained encoder");
    }

    private sealed class RecordingProgress : IProgress<TrainingProgress>
    {
        public List<int> Steps { get; } = [];

        public void Report(TrainingProgress value) => Steps.Add(value.Step);
    }

    private sealed class LabeledPath
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";
    }

    private sealed class Predicted
    {
        public string PredictedLabel { get; set; } = "";
    }

    [Fact]
    public void Context_cancellation_stops_training_at_the_next_step()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 16);
        var mlContext = new MLContext(seed: 1);
        var images = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, paths)).Transform(TinyModel.Data(mlContext, paths));
        int reports = 0;
        mlContext.Log += (_, e) =>
        {
            if (e.Message.Contains("/1000 (epoch", StringComparison.Ordinal) && ++reports == 1)
                CancelExecution(mlContext);
        };
        string checkpoint = temp.File("run.ckpt");

        var act = () => mlContext.Transforms.EquiRecon().Pretrain(Tiny(steps: 1000) with { CheckpointPath = checkpoint }).Fit(images);

        act.Should().Throw<OperationCanceledException>();
        reports.Should().Be(1, "training stops before the step after the cancellation");
        File.Exists(checkpoint).Should().BeTrue("a cancelled run writes its checkpoint");
    }

    [Fact]
    public void A_cancelled_context_does_not_start_training()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 16);
        var mlContext = new MLContext(seed: 1);
        var images = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, paths)).Transform(TinyModel.Data(mlContext, paths));
        var estimator = mlContext.Transforms.EquiRecon().Pretrain(Tiny());
        CancelExecution(mlContext);

        estimator.Invoking(e => e.Fit(images)).Should().Throw<OperationCanceledException>();
    }

    [Fact]
    public void Cancelling_the_options_token_stops_training_at_the_next_step()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 16);
        var mlContext = new MLContext(seed: 1);
        var images = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, paths)).Transform(TinyModel.Data(mlContext, paths));
        using var source = new CancellationTokenSource();
        int reports = 0;
        mlContext.Log += (_, e) =>
        {
            if (e.Message.Contains("/1000 (epoch", StringComparison.Ordinal) && ++reports == 2)
                source.Cancel();
        };

        var act = () => mlContext.Transforms.EquiRecon().Pretrain(Tiny(steps: 1000) with { CancellationToken = source.Token }).Fit(images);

        act.Should().Throw<OperationCanceledException>();
        reports.Should().Be(2);
        mlContext.Transforms.EquiRecon().Pretrain(Tiny(steps: 1)).Fit(images).Manifest.Provenance["steps"].Should().Be("1", "the token only stopped the run it was given to");
    }

    /// <summary>ML.NET's cancellation of a context (internal to ML.NET: AutoML calls it on timeouts).</summary>
    private static void CancelExecution(MLContext mlContext)
        => typeof(MLContext).GetMethod("CancelExecution", BindingFlags.Instance | BindingFlags.NonPublic)!.Invoke(mlContext, null);

    [Fact]
    public void Invalid_settings_and_data_fail_with_clear_messages()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 8);
        var mlContext = new MLContext(seed: 1);
        var raw = TinyModel.Data(mlContext, paths);
        var images = TinyModel.Images(mlContext).Fit(raw).Transform(raw);
        var catalog = mlContext.Transforms.EquiRecon();

        catalog.Invoking(c => c.Pretrain(Tiny() with { Method = "supervised" })).Should().Throw<ArgumentException>()
            .WithMessage("*'supervised' needs class labels*equirecon*");
        catalog.Invoking(c => c.Pretrain(method: "nope")).Should().Throw<ArgumentException>().WithMessage("*Unknown method 'nope'*");
        catalog.Invoking(c => c.Pretrain(encoder: "nope")).Should().Throw<ArgumentException>().WithMessage("*Unknown encoder 'nope'*");
        catalog.Invoking(c => c.Pretrain(Tiny() with { Steps = 0 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Steps");

        catalog.Pretrain(Tiny()).Invoking(e => e.Fit(images)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*'Image' has 8 images, fewer than one batch (BatchSize = 16)*");
        var unsized = mlContext.Transforms.LoadImages(EquiReconColumnNames.Image, null, TinyModel.PathColumn).Fit(raw).Transform(raw);
        catalog.Pretrain(Tiny()).Invoking(e => e.Fit(unsized)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*'Image'*known square size*unknown size*");
        catalog.Pretrain(Tiny()).Invoking(e => e.GetOutputSchema(Shapes.Of(raw.Schema))).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*Could not find input column 'Image'*");
        var shape = catalog.Pretrain(Tiny()).GetOutputSchema(Shapes.Of(images.Schema));
        shape.Select(c => c.Name).Should().Contain([EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant]);
    }

    [Fact]
    public void GpuDeviceId_without_CUDA_throws_before_reading_the_data()
    {
        if (torch.cuda.is_available())
            return;
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 16);
        var mlContext = new MLContext(seed: 1) { GpuDeviceId = 0 };
        var images = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, paths)).Transform(TinyModel.Data(mlContext, paths));

        mlContext.Transforms.EquiRecon().Pretrain(Tiny()).Invoking(e => e.Fit(images))
            .Should().Throw<InvalidOperationException>().WithMessage("*GpuDeviceId is 0*CUDA is not available*FallbackToCpu*");
    }

    [Fact]
    public void InitModelFile_and_FrozenStages_continue_from_a_model_file_with_its_architecture_and_normalisation()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 16);
        var mlContext = new MLContext(seed: 1);
        var images = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, paths)).Transform(TinyModel.Data(mlContext, paths));
        var init = temp.File("init.equirecon");
        torch.manual_seed(3);
        using (var encoder = EncoderFactory.Create(TinyModel.Encoder))
            ModelFile.Save(init, encoder, "vicreg", TinyModel.Size, [0.5f, 0.4f, 0.3f], [0.2f, 0.25f, 0.3f]);
        var initManifest = ModelFile.ReadManifest(init);
        var options = Tiny(steps: 2) with { EncoderConfig = null, Encoder = "cifar-resnet18", InitModelFile = init, FrozenStages = 2 };

        var featurizer = mlContext.Transforms.EquiRecon().Pretrain(options).Fit(images);

        EncoderSpecs.SameArchitecture(featurizer.Manifest.Encoder, initManifest.Encoder).Should().BeTrue("the architecture is the init file's");
        featurizer.Manifest.Mean.Should().Equal(initManifest.Mean);
        featurizer.Manifest.Std.Should().Equal(initManifest.Std);
        featurizer.Manifest.Provenance["frozen_stages"].Should().Be("2");
        featurizer.Manifest.Provenance["init_from"].Should().Contain("init.equirecon").And.Contain(initManifest.WeightsSha256);

        var catalog = mlContext.Transforms.EquiRecon();
        catalog.Invoking(c => c.Pretrain(Tiny() with { FrozenStages = -1 })).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("FrozenStages");
        catalog.Pretrain(Tiny() with { FrozenStages = 5 }).Invoking(e => e.Fit(images)).Should().Throw<ArgumentOutOfRangeException>()
            .WithMessage("*FrozenStages must lie in [0, 4]*");
        var other = new ResNetEncoderConfig(ResNetStem.Cifar, [8, 8, 16, 16], [1, 1, 2, 1]);
        catalog.Pretrain(Tiny() with { EncoderConfig = other, InitModelFile = init }).Invoking(e => e.Fit(images)).Should().Throw<ArgumentException>()
            .WithMessage("*InitFrom*blocks [1, 1, 1, 1]*blocks [1, 1, 2, 1]*");
        catalog.Pretrain(Tiny() with { InitModelFile = temp.File("missing.equirecon") }).Invoking(e => e.Fit(images)).Should().Throw<ModelFileException>()
            .WithMessage("*missing.equirecon*");
    }
}
