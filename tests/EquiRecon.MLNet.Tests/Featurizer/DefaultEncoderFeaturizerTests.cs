using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>With no model file, the featurizer, the probe and the segmentation adapter use the encoder shipped in the package.</summary>
public sealed class DefaultEncoderFeaturizerTests
{
    [Fact]
    public void FeaturizeImage_without_a_model_file_runs_the_default_encoder_and_round_trips_through_Save_and_Load()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 3);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);

        var estimator = mlContext.Transforms.EquiRecon().FeaturizeImage();
        estimator.Manifest.WeightsSha256.Should().Be(DefaultEncoder.ReadManifest().WeightsSha256);
        var model = TinyModel.Images(mlContext).Append(estimator).Fit(data);
        var invariant = TinyModel.ReadColumn(model.Transform(data), EquiReconColumnNames.Invariant);
        var equivariant = TinyModel.ReadColumn(model.Transform(data), EquiReconColumnNames.Equivariant);

        File.WriteAllBytes(temp.File("default.equirecon"), DefaultEncoder.ReadBytes());
        var expected = TinyModel.RawForward(temp.File("default.equirecon"), paths);
        invariant[0].Should().HaveCount(128);
        equivariant[0].Should().HaveCount(128);
        TinyModel.ShouldMatch(invariant, expected.Select(r => r[..128]).ToArray(), 1e-5f, "invariant = the default encoder's first 128 channels");
        TinyModel.ShouldMatch(equivariant, expected.Select(r => r[128..]).ToArray(), 1e-5f, "equivariant = its last 128 channels");

        mlContext.Model.Save(model, data.Schema, temp.File("model.zip"));
        var reloaded = new MLContext(seed: 2).Model.Load(temp.File("model.zip"), out _);
        TinyModel.ReadColumn(reloaded.Transform(data), EquiReconColumnNames.Invariant)
            .Should().BeEquivalentTo(invariant, o => o.WithStrictOrdering());
    }

    [Fact]
    public void Probe_and_segmentation_estimators_without_a_model_path_take_the_default_encoder()
    {
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();
        catalog.TransformationProbe().ImageSize.Should().Be(DefaultEncoder.ReadManifest().InputSize);
        catalog.Segmentation().Options.ModelFile.Should().BeNull();
    }

    [Fact]
    public void An_empty_model_path_is_an_error_not_the_default()
    {
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();
        catalog.Invoking(c => c.FeaturizeImage(new EquiReconFeaturizerOptions { ModelFile = " " }))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(EquiReconFeaturizerOptions.ModelFile)).WithMessage("*null selects the default*");
        catalog.Invoking(c => c.TransformationProbe(new TransformationProbeOptions { ModelFile = "" }))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(TransformationProbeOptions.ModelFile));
        catalog.Invoking(c => c.Segmentation(new EquiReconSegmentationOptions { ModelFile = "" }))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(EquiReconSegmentationOptions.ModelFile));
    }
}
