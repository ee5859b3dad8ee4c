using System.Security.Cryptography;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.Models.NaturalImage;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using TorchSharp;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>
/// <see cref="BuiltInEncoder.NaturalImage"/>: found at run time in the EquiRecon.Models.NaturalImage assembly (this test
/// project references it as an application would); the choice between a model file and a built-in encoder.
/// </summary>
public sealed class NaturalImageEncoderTests
{
    [Fact]
    public void The_package_is_found_at_run_time_and_its_model_file_matches_its_pinned_SHA256()
    {
        BuiltInEncoders.IsAvailable(BuiltInEncoder.NaturalImage).Should().BeTrue();
        BuiltInEncoders.IsAvailable(BuiltInEncoder.SmallCifar).Should().BeTrue();
        var bytes = BuiltInEncoders.ReadBytes(BuiltInEncoder.NaturalImage);
        Convert.ToHexStringLower(SHA256.HashData(bytes)).Should().Be(NaturalImageEncoder.Sha256);
        bytes.Should().Equal(NaturalImageEncoder.ReadBytes());

        var manifest = BuiltInEncoders.ReadManifest(BuiltInEncoder.NaturalImage);
        (manifest.InputSize, manifest.Encoder.InvariantChannels, manifest.Encoder.EquivariantChannels).Should().Be((128, 256, 256));
        BuiltInEncoders.ReadManifest(BuiltInEncoder.SmallCifar).WeightsSha256.Should().Be(DefaultEncoder.ReadManifest().WeightsSha256);
    }

    [Fact]
    public void FeaturizeImage_with_the_natural_image_encoder_adds_256_plus_256_columns_at_128_px_and_the_saved_model_loads_without_the_package()
    {
        using var temp = new TempDir();
        var paths = NaturalImages.WritePhotoPngs(temp.Path, 3);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);

        var estimator = mlContext.Transforms.EquiRecon().FeaturizeImage(builtInEncoder: BuiltInEncoder.NaturalImage);
        estimator.Options.BuiltInEncoder.Should().Be(BuiltInEncoder.NaturalImage);
        estimator.Manifest.InputSize.Should().Be(NaturalImages.Size);
        estimator.Manifest.WeightsSha256.Should().Be(NaturalImageEncoder.ReadManifest().WeightsSha256);
        var model = TinyModel.Images(mlContext, NaturalImages.Size).Append(estimator).Fit(data);
        var output = model.Transform(data);
        var invariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Invariant);
        var equivariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Equivariant);
        invariant.Should().OnlyContain(r => r.Length == 256);
        equivariant.Should().OnlyContain(r => r.Length == 256);

        File.WriteAllBytes(temp.File("natural.equirecon"), NaturalImageEncoder.ReadBytes());
        var expected = TinyModel.RawForward(temp.File("natural.equirecon"), paths);
        TinyModel.ShouldMatch(invariant, expected.Select(r => r[..256]).ToArray(), 1e-4f, "invariant = the natural-image encoder's first 256 channels");
        TinyModel.ShouldMatch(equivariant, expected.Select(r => r[256..]).ToArray(), 1e-4f, "equivariant = its last 256 channels");

        string zip = temp.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        new FileInfo(zip).Length.Should().BeGreaterThan(NaturalImageEncoder.ReadBytes().Length / 2, "the encoder travels inside the zip");
        var inProcess = TinyModel.ReadColumn(new MLContext(seed: 2).Model.Load(zip, out _).Transform(data), EquiReconColumnNames.Invariant);
        TinyModel.ShouldMatch(inProcess, invariant, 0f, "reloaded in a new MLContext");

        // A fresh process whose application does not reference EquiRecon.Models.NaturalImage: the zip is enough.
        File.Exists(Path.Combine(Path.GetDirectoryName(ModelLoadProbe.ProbePath)!, "EquiRecon.Models.NaturalImage.dll")).Should().BeFalse();
        var child = ModelLoadProbe.RunColumns(zip, TinyModel.PathColumn, [EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant], paths);
        TinyModel.ShouldMatch(child.Columns[EquiReconColumnNames.Invariant], invariant, 1e-5f, "loaded in a process without the package");
        TinyModel.ShouldMatch(child.Columns[EquiReconColumnNames.Equivariant], equivariant, 1e-5f, "loaded in a process without the package");
    }

    [Fact]
    public void TransformationProbe_and_Segmentation_take_the_natural_image_encoder()
    {
        using var temp = new TempDir();
        var paths = NaturalImages.WritePhotoPngs(temp.Path, 4);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);
        var catalog = mlContext.Transforms.EquiRecon();

        catalog.Segmentation(builtInEncoder: BuiltInEncoder.NaturalImage).Options.BuiltInEncoder.Should().Be(BuiltInEncoder.NaturalImage);
        var probeEstimator = catalog.TransformationProbe(new TransformationProbeOptions
        {
            BuiltInEncoder = BuiltInEncoder.NaturalImage, Epochs = 2, SamplesPerImage = 1, HiddenWidth = 8,
        });
        probeEstimator.ImageSize.Should().Be(NaturalImages.Size);

        torch.set_num_threads(2);
        var model = TinyModel.Images(mlContext, NaturalImages.Size).Append(probeEstimator).Fit(data);
        var angles = TinyModel.ReadColumn(model.Transform(data), "RotationParameters");
        angles.Should().HaveCount(paths.Length).And.OnlyContain(r => r.Length == 1 && float.IsFinite(r[0]));

        mlContext.Model.Save(model, data.Schema, temp.File("probe.zip"));
        var reloaded = new MLContext(seed: 2).Model.Load(temp.File("probe.zip"), out _);
        TinyModel.ReadColumn(reloaded.Transform(data), "RotationParameters").Should().BeEquivalentTo(angles, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_model_file_and_a_built_in_encoder_together_are_refused_with_both_names()
    {
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();
        catalog.Invoking(c => c.FeaturizeImage("encoder.equirecon", builtInEncoder: BuiltInEncoder.NaturalImage))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(EquiReconFeaturizerOptions.BuiltInEncoder))
            .WithMessage("Both ModelFile ('encoder.equirecon') and BuiltInEncoder (NaturalImage) are set*");
        catalog.Invoking(c => c.TransformationProbe(new TransformationProbeOptions { ModelFile = "encoder.equirecon", BuiltInEncoder = BuiltInEncoder.SmallCifar }))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(TransformationProbeOptions.BuiltInEncoder))
            .WithMessage("Both ModelFile*BuiltInEncoder (SmallCifar)*");
        catalog.Invoking(c => c.Segmentation("encoder.equirecon", builtInEncoder: BuiltInEncoder.NaturalImage))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(EquiReconSegmentationOptions.BuiltInEncoder))
            .WithMessage("Both ModelFile*");
    }

    [Fact]
    public void An_undefined_built_in_encoder_is_refused_with_the_defined_ones()
    {
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();
        catalog.Invoking(c => c.FeaturizeImage(builtInEncoder: (BuiltInEncoder)42))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(EquiReconFeaturizerOptions.BuiltInEncoder))
            .WithMessage("*42*SmallCifar, NaturalImage*");
        catalog.Invoking(c => c.TransformationProbe(builtInEncoder: (BuiltInEncoder)42))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(TransformationProbeOptions.BuiltInEncoder));
        catalog.Invoking(c => c.Segmentation(builtInEncoder: (BuiltInEncoder)42))
            .Should().Throw<ArgumentException>().WithParameterName(nameof(EquiReconSegmentationOptions.BuiltInEncoder));
        FluentActions.Invoking(() => BuiltInEncoders.ReadBytes((BuiltInEncoder)42)).Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void An_absent_package_names_itself_and_the_dotnet_add_package_remedy()
    {
        FluentActions.Invoking(() => BuiltInEncoders.ReadBytesFrom("EquiRecon.Models.NotInstalled", "EquiRecon.Models.NotInstalled.NaturalImageEncoder"))
            .Should().Throw<ModelFileException>()
            .WithMessage("*NuGet package EquiRecon.Models.NotInstalled, which this application does not reference*dotnet add package EquiRecon.Models.NotInstalled*");
        // An assembly without the entry point is reported as such.
        FluentActions.Invoking(() => BuiltInEncoders.ReadBytesFrom("EquiRecon.TorchSharp", "EquiRecon.TorchSharp.NoSuchType"))
            .Should().Throw<ModelFileException>().WithMessage("*has no public static byte[] EquiRecon.TorchSharp.NoSuchType.ReadBytes()*");
    }
}
