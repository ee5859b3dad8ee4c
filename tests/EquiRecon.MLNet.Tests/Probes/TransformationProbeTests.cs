using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Xunit.Abstractions;
using static EquiRecon.MLNet.Tests.Probes.ProbeTestSupport;

namespace EquiRecon.MLNet.Tests.Probes;

public sealed class TransformationProbeTests(ITestOutputHelper output)
{
    /// <summary>Small and fast head settings for the tests.</summary>
    private static TransformationProbeOptions Fast(string modelFile) => new()
    {
        ModelFile = modelFile,
        HiddenWidth = 64,
        Epochs = 50,
        SamplesPerImage = 1,
        Seed = 5,
    };

    // Measured with this setup (random-init 8-16-32-64 encoder, 300 training / 100 held-out CIFAR-10 test images,
    // equivariant part, one rotation per image): token features R² ≈ 0.68 relative to canonical, ≈ 0.69 between
    // columns; pooled features ≈ 0.0–0.1 (a random encoder's pooled features hardly tell +θ from −θ).
    [Cifar10Theory]
    [InlineData(ProbeMode.RelativeToCanonical)]
    [InlineData(ProbeMode.BetweenColumns)]
    public void A_rotation_probe_fitted_on_300_cifar10_images_predicts_rotations_of_100_held_out_images(ProbeMode mode)
    {
        using var temp = new TempDir();
        string modelFile = SaveRandomEncoder(temp.File("encoder.zip"));
        var train = Cifar10Images(skip: 0, perClass: 30);
        var heldOut = Cifar10Images(skip: 30, perClass: 10);
        var mlContext = new MLContext(seed: 1);
        var options = Fast(modelFile) with
        {
            Mode = mode,
            TransformedImageColumnName = mode == ProbeMode.BetweenColumns ? "Transformed" : null,
        };
        var trainData = mode == ProbeMode.BetweenColumns
            ? mlContext.Data.LoadFromEnumerable(train.Select(i => new ImagePairRow { Image = i, Transformed = i }).ToArray())
            : Data(mlContext, train);

        var probe = mlContext.Transforms.EquiRecon().TransformationProbe(options).Fit(trainData);

        // 1. The evaluation helper: fresh random rotations (another seed) of the held-out images.
        var metrics = probe.Evaluate(Data(mlContext, heldOut), seed: 11);
        // 2. End to end through Transform: the held-out images rotated by known angles, as 8-bit images.
        var angles = Enumerable.Range(0, heldOut.Length).Select(i => -45f + (90f * ((i * 37) % 100) / 99f)).ToArray();
        var rotated = Rotate(heldOut, angles);
        var input = mode == ProbeMode.BetweenColumns
            ? mlContext.Data.LoadFromEnumerable(heldOut.Zip(rotated, (a, b) => new ImagePairRow { Image = a, Transformed = b }).ToArray())
            : Data(mlContext, rotated);
        var predicted = ReadColumn(probe.Transform(input), "RotationParameters").Select(r => r.Single()).ToArray();
        double transformR2 = RSquared(predicted, angles);
        output.WriteLine($"{mode}: Evaluate R² global {metrics.RSquaredGlobal:F3}, per-output mean {metrics.RSquaredPerOutputMean:F3} over {metrics.Samples}; Transform R² {transformR2:F3}");

        metrics.Samples.Should().Be(100);
        metrics.RSquaredPerOutput.Should().ContainSingle();
        metrics.RSquaredGlobal.Should().BeGreaterThan(0.45);
        metrics.RSquaredPerOutputMean.Should().BeGreaterThan(0.45);
        transformR2.Should().BeGreaterThan(0.45);
    }

    [Fact]
    public void PredictionEngine_gives_the_same_outputs_as_the_batched_transform()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var images = RandomImages(6);
        var data = Data(mlContext, images);
        var probe = mlContext.Transforms.EquiRecon().TransformationProbe(Fast(SaveRandomEncoder(temp.File("e.zip"))) with { Epochs = 2 }).Fit(data);
        var batched = ReadColumn(probe.Transform(data), "RotationParameters");

        using (var engine = mlContext.Model.CreatePredictionEngine<ImageRow, RotationOutput>(probe))
        {
            for (int i = 0; i < images.Length; i++)
                engine.Predict(new ImageRow { Image = images[i] }).RotationParameters.Should().Equal(batched[i], $"row {i}");
        }
        batched.Select(r => r[0]).Distinct().Should().HaveCountGreaterThan(1, "different images get different predictions");

        // Disposing an engine must not break the transformer for the next engine or Transform.
        using var second = mlContext.Model.CreatePredictionEngine<ImageRow, RotationOutput>(probe);
        second.Predict(new ImageRow { Image = images[0] }).RotationParameters.Should().Equal(batched[0]);
        ReadColumn(probe.Transform(data), "RotationParameters")[0].Should().Equal(batched[0]);
    }

    [Fact]
    public void Save_and_Load_in_a_new_MLContext_and_a_child_process_give_identical_outputs_without_the_model_file()
    {
        using var temp = new TempDir();
        string modelFile = SaveRandomEncoder(temp.File("encoder.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 4);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }).ToArray());
        var pipeline = mlContext.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
            .Append(mlContext.Transforms.EquiRecon().TransformationProbe(Fast(modelFile) with { Kind = TransformKind.Translation, Epochs = 3 }));
        var model = pipeline.Fit(data);
        var original = ReadColumn(model.Transform(data), "TranslationParameters");
        string zip = temp.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        File.Delete(modelFile);

        var reloaded = new MLContext(seed: 2).Model.Load(zip, out _);
        var inProcess = ReadColumn(reloaded.Transform(data), "TranslationParameters");
        var child = ModelLoadProbe.Run(zip, "ImagePath", "TranslationParameters", paths);

        original.Should().OnlyContain(r => r.Length == 2);
        for (int i = 0; i < paths.Length; i++)
        {
            inProcess[i].Should().Equal(original[i], $"in-process row {i}");
            child.Rows[i].Should().Equal(original[i], $"child-process row {i}");
        }

        child.LoadedAfterLoad.Should().BeTrue();
        var probe = ((TransformerChain<ITransformer>)reloaded).LastTransformer.Should().BeOfType<TransformationProbeTransformer>().Subject;
        (probe.Kind, probe.Mode, probe.Part, probe.Features, probe.ImageSize, probe.OutputSize).Should().Be(
            (TransformKind.Translation, ProbeMode.RelativeToCanonical, RepresentationPart.Equivariant, ProbeFeatures.Tokens, 32, 2));
        probe.ParameterNames.Should().Equal("dx", "dy");
    }

    [Fact]
    public void A_between_columns_probe_round_trips_with_both_column_names()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var images = RandomImages(4);
        var data = mlContext.Data.LoadFromEnumerable(images.Select((i, n) => new ImagePairRow { Image = i, Transformed = images[3 - n] }).ToArray());
        var estimator = mlContext.Transforms.EquiRecon().TransformationProbe(
            SaveRandomEncoder(temp.File("e.zip")), TransformKind.Flip, "Flipped", "Image", "Transformed");
        estimator.Options.Mode.Should().Be(ProbeMode.BetweenColumns);
        var probe = estimator.Fit(data);
        var original = ReadColumn(probe.Transform(data), "Flipped");
        string zip = temp.File("model.zip");
        mlContext.Model.Save(probe, null, zip); // An image-only schema cannot be saved.

        var reloaded = new MLContext(seed: 2).Model.Load(zip, out _);

        var loaded = reloaded.Should().BeOfType<TransformationProbeTransformer>().Subject;
        loaded.TransformedImageColumnName.Should().Be("Transformed");
        var again = ReadColumn(reloaded.Transform(data), "Flipped");
        for (int i = 0; i < original.Length; i++)
            again[i].Should().Equal(original[i]);
    }

    [Fact]
    public void A_probe_saved_before_issue_15_with_the_encoder_in_the_stream_EncoderModelFile_still_loads()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var images = RandomImages(4);
        var data = mlContext.Data.LoadFromEnumerable(images.Select((i, n) => new ImagePairRow { Image = i, Transformed = images[3 - n] }).ToArray());
        var probe = mlContext.Transforms.EquiRecon().TransformationProbe(
            SaveRandomEncoder(temp.File("e.zip")), TransformKind.Flip, "Flipped", "Image", "Transformed").Fit(data);
        var original = ReadColumn(probe.Transform(data), "Flipped");
        string zip = temp.File("model.zip");
        mlContext.Model.Save(probe, null, zip);
        // Version 0x00010002 wrote the encoder as "EncoderModelFile"; the current one writes "EncoderModel" (EncoderSource).
        SavedModelZip.RenameStream(zip, SavedModelZip.EncoderModelStream, "EncoderModelFile");
        SavedModelZip.SetModelVersion(zip, "ERTPROBE", written: 0x00010002, readable: 0x00010002);

        var reloaded = new MLContext(seed: 2).Model.Load(zip, out _);

        var again = ReadColumn(reloaded.Transform(data), "Flipped");
        for (int i = 0; i < original.Length; i++)
            again[i].Should().Equal(original[i]);
    }

    [Fact]
    public void Output_column_is_a_vector_of_the_kinds_parameter_count_named_after_the_kind()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = Data(mlContext, RandomImages(2));
        string modelFile = SaveRandomEncoder(temp.File("e.zip"));
        var catalog = mlContext.Transforms.EquiRecon();

        foreach (var (kind, size) in new[] { (TransformKind.Rotation, 1), (TransformKind.Translation, 2), (TransformKind.Color, 4), (TransformKind.Blur, 1), (TransformKind.Crop, 4), (TransformKind.Flip, 1) })
        {
            var estimator = catalog.TransformationProbe(modelFile, kind);
            estimator.OutputSize.Should().Be(size, kind.ToString());
            var shape = estimator.GetOutputSchema(Shapes.Of(data.Schema));
            var column = shape.Single(c => c.Name == kind + "Parameters");
            column.Kind.Should().Be(SchemaShape.Column.VectorKind.Vector);
            column.ItemType.Should().Be(NumberDataViewType.Single);
        }

        var fitted = catalog.TransformationProbe(Fast(modelFile) with { Kind = TransformKind.Color, Epochs = 1 }).Fit(data);
        fitted.GetOutputSchema(data.Schema)["ColorParameters"].Type.Should().Be(new VectorDataViewType(NumberDataViewType.Single, 4));
    }

    [Fact]
    public void A_missing_image_gives_NaN()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var images = RandomImages(3);
        var probe = mlContext.Transforms.EquiRecon().TransformationProbe(Fast(SaveRandomEncoder(temp.File("e.zip"))) with { Epochs = 1 })
            .Fit(Data(mlContext, images));

        var rows = ReadColumn(probe.Transform(mlContext.Data.LoadFromEnumerable(new[] { new ImageRow { Image = images[0] }, new ImageRow() })), "RotationParameters");

        float.IsFinite(rows[0][0]).Should().BeTrue();
        float.IsNaN(rows[1][0]).Should().BeTrue();
    }

    [Fact]
    public void Schema_errors_name_the_column_and_the_expected_type_at_GetOutputSchema_and_Fit()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        string modelFile = SaveRandomEncoder(temp.File("e.zip"));
        var catalog = mlContext.Transforms.EquiRecon();
        var images = Data(mlContext, RandomImages(2));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 2, 16, 16);
        var pathData = mlContext.Data.LoadFromEnumerable(paths.Select(p => new PathRow { ImagePath = p }).ToArray());
        var sixteen = mlContext.Transforms.LoadImages("Image", null, "ImagePath").Append(mlContext.Transforms.ResizeImages("Image", 16, 16)).Fit(pathData).Transform(pathData);
        var unknownSize = mlContext.Transforms.LoadImages("Image", null, "ImagePath").Fit(pathData).Transform(pathData);

        void Expect(IDataView data, TransformationProbeEstimator estimator, string message)
        {
            var atSchema = () => estimator.GetOutputSchema(Shapes.Of(data.Schema));
            var atFit = () => estimator.Fit(data);
            atSchema.Should().Throw<ArgumentOutOfRangeException>().WithMessage(message);
            atFit.Should().Throw<ArgumentOutOfRangeException>().WithMessage(message);
        }

        Expect(images, catalog.TransformationProbe(modelFile, imageColumnName: "Picture"), "Could not find image column 'Picture' (expected Image<32, 32>*");
        Expect(pathData, catalog.TransformationProbe(modelFile, imageColumnName: "ImagePath"), "*image column 'ImagePath'*expected Image<32, 32>*got String*");
        Expect(sixteen, catalog.TransformationProbe(modelFile), "*image column 'Image'*expected Image<32, 32>*got Image<16, 16>*");
        Expect(unknownSize, catalog.TransformationProbe(modelFile), "*image column 'Image'*add ResizeImages*unknown size*");
        Expect(images, catalog.TransformationProbe(modelFile, transformedImageColumnName: "Other"), "Could not find transformed image column 'Other' (expected Image<32, 32>*");

        var fitted = catalog.TransformationProbe(Fast(modelFile) with { Epochs = 1 }).Fit(images);
        var atTransform = () => fitted.Transform(sixteen);
        atTransform.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*image column 'Image'*expected Image<32, 32>*got Image<16, 16>*");
    }

    [Fact]
    public void Invalid_options_are_rejected_naming_the_option_and_defaults_are_the_documented_ones()
    {
        using var temp = new TempDir();
        string modelFile = SaveRandomEncoder(temp.File("e.zip"));
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();

        var emptyModelFile = () => catalog.TransformationProbe(new TransformationProbeOptions { ModelFile = "" });
        var missingFile = () => catalog.TransformationProbe(temp.File("absent.zip"));
        var betweenWithoutSecond = () => catalog.TransformationProbe(new TransformationProbeOptions { ModelFile = modelFile, Mode = ProbeMode.BetweenColumns });
        var zeroEpochs = () => catalog.TransformationProbe(new TransformationProbeOptions { ModelFile = modelFile, Epochs = 0 });

        emptyModelFile.Should().Throw<ArgumentException>().WithParameterName("ModelFile");
        missingFile.Should().Throw<ModelFileException>().WithMessage("*absent.zip*");
        betweenWithoutSecond.Should().Throw<ArgumentException>().WithParameterName("TransformedImageColumnName");
        zeroEpochs.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Epochs");

        var estimator = catalog.TransformationProbe(modelFile);
        var o = estimator.Options;
        (o.Kind, o.Part, o.Mode, o.Features, o.ImageColumnName, o.ResolvedOutputColumnName).Should().Be(
            (TransformKind.Rotation, RepresentationPart.Equivariant, ProbeMode.RelativeToCanonical, ProbeFeatures.Tokens, "Image", "RotationParameters"));
        (o.HiddenWidth, o.Epochs, o.BatchSize, o.LearningRate, o.SamplesPerImage, o.Seed).Should().Be((256, 100, 64, 1e-3, 4, 0));
        (estimator.ImageSize, estimator.OutputSize).Should().Be((32, 1));
    }

    [Fact]
    public void Fitting_needs_at_least_two_images()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var estimator = mlContext.Transforms.EquiRecon().TransformationProbe(SaveRandomEncoder(temp.File("e.zip")));

        var act = () => estimator.Fit(Data(mlContext, RandomImages(1)));

        act.Should().Throw<InvalidOperationException>().WithMessage("*at least 2 images in column 'Image'*found 1*");
    }

    public sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
