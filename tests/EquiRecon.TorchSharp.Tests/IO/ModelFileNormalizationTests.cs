using System.Text.Json.Nodes;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.IO;

/// <summary>
/// Issue 27 item 7: a manifest whose normalisation statistics are degenerate is refused naming the field, instead of loading
/// and producing non-finite features. The bounds are <see cref="ModelFileLimits.MinStd"/>, <see cref="ModelFileLimits.MaxStd"/>
/// and <see cref="ModelFileLimits.MaxAbsMean"/>.
/// </summary>
public sealed class ModelFileNormalizationTests
{
    /// <summary>The model file with <paramref name="field"/> of its manifest replaced by <paramref name="json"/> (hashes recomputed).</summary>
    private static byte[] WithManifestField(string field, string json)
    {
        var (manifest, weights) = ZipForge.Parts(ModelFileIntegrityTests.TinyModelFile());
        manifest[field] = JsonNode.Parse(json);
        return ZipForge.ModelFile(manifest, weights);
    }

    [Theory]
    [InlineData("std", "[0.25, 0, 0.25]", "*std[1] = 0 is outside [0.001, 1000]*")]
    [InlineData("std", "[0.25, -0.25, 0.25]", "*std[1] = -0.25 is outside*")]
    [InlineData("std", "[1e-30, 0.25, 0.25]", "*std[0] = 1E-30 is outside*")]
    [InlineData("std", "[0.25, 0.25, 0.0009]", "*std[2] = 0.0009 is outside*")]
    [InlineData("std", "[0.25, 1e-40, 0.25]", "*std[1] = 1E-40 is outside*")] // subnormal as a float
    [InlineData("std", "[0.25, 0.25, 1e30]", "*std[2] = 1E+30 is outside*")]
    [InlineData("std", "[0.25, 1001, 0.25]", "*std[1] = 1001 is outside*")]
    [InlineData("std", "[0.25, 1e39, 0.25]", "*std[1] = Infinity is outside*")] // overflows a float: System.Text.Json reads infinity
    [InlineData("std", "[0.25, 0.25]", "*std needs 3 values (R, G, B), got 2*")]
    [InlineData("mean", "[0.5, 1e39, 0.5]", "*mean[1] = Infinity is not a finite value*")]
    [InlineData("mean", "[-1e39, 0.5, 0.5]", "*mean[0] = -Infinity is not a finite value*")]
    [InlineData("mean", "[0.5, 1e30, 0.5]", "*mean[1] = 1E+30 is not a finite value within ±1000*")]
    [InlineData("mean", "[0.5, 0.5, -1001]", "*mean[2] = -1001 is not a finite value*")]
    [InlineData("mean", "[0.5, 0.5, 0.5, 0.5]", "*mean needs 3 values (R, G, B), got 4*")]
    public void A_degenerate_statistic_is_refused_naming_the_field(string field, string json, string message)
    {
        var bytes = WithManifestField(field, json);

        FluentActions.Invoking(() => ModelFile.ReadManifest(bytes, "the test model")).Should().Throw<ModelFileException>()
            .WithMessage("The test model: the manifest's normalisation is refused: " + message);
        FluentActions.Invoking(() => ModelFile.Load(bytes, "the test model").Dispose()).Should().Throw<ModelFileException>().WithMessage(message);
        FluentActions.Invoking(() => ModelFile.ReadWeights(bytes, "the test model")).Should().Throw<ModelFileException>().WithMessage(message);
    }

    [Theory]
    [InlineData("std", "[0.25, \"NaN\", 0.25]", "*$.std[1]*")]
    [InlineData("mean", "[\"-Infinity\", 0.5, 0.5]", "*$.mean[0]*")]
    public void A_named_non_finite_literal_is_refused_as_invalid_JSON_naming_the_field(string field, string json, string path)
    {
        var bytes = WithManifestField(field, json);

        FluentActions.Invoking(() => ModelFile.Load(bytes, "the test model").Dispose()).Should().Throw<ModelFileException>()
            .WithMessage("The test model: the manifest is not valid JSON*" + path);
    }

    [Theory]
    [InlineData(float.NaN, 0.25f, "*mean[0] = NaN is not a finite value*")]
    [InlineData(float.PositiveInfinity, 0.25f, "*mean[0] = Infinity is not a finite value*")]
    [InlineData(0.5f, float.NaN, "*std[0] = NaN is outside*")]
    [InlineData(0.5f, float.PositiveInfinity, "*std[0] = Infinity is outside*")]
    [InlineData(0.5f, 1e-45f, "*std[0] = 1E-45 is outside*")]
    public void Saving_non_finite_or_degenerate_statistics_is_refused_and_writes_nothing(float mean0, float std0, string message)
    {
        using var dir = new TempDir();
        using var encoder = EncoderFactory.Create(Tiny.Encoder);
        var path = dir.File("m.equirecon");

        FluentActions.Invoking(() => ModelFile.Save(path, encoder, "equirecon", 16, [mean0, 0.5f, 0.5f], [std0, 0.25f, 0.25f]))
            .Should().Throw<ModelFileException>().WithMessage(message);
        File.Exists(path).Should().BeFalse();
    }

    [Fact]
    public void Statistics_on_the_bounds_load_and_give_finite_features()
    {
        var (manifest, weights) = ZipForge.Parts(ModelFileIntegrityTests.TinyModelFile());
        manifest["std"] = new JsonArray(ModelFileLimits.MinStd, 0.25f, ModelFileLimits.MaxStd);
        manifest["mean"] = new JsonArray(-ModelFileLimits.MaxAbsMean, 0.5f, ModelFileLimits.MaxAbsMean);
        var bytes = ZipForge.ModelFile(manifest, weights);

        using var loaded = ModelFile.Load(bytes, "the test model");
        loaded.Manifest.Std.Should().Equal(ModelFileLimits.MinStd, 0.25f, ModelFileLimits.MaxStd);
        using var images = torch.rand(2, 3, 16, 16);
        var features = loaded.Encode(images);
        using var tokens = features.Tokens;
        using var pooled = features.Pooled;
        pooled.isfinite().all().item<bool>().Should().BeTrue();
    }

    [Theory]
    [InlineData(0.5f, 1e-30f, "Std", "Std: std[0] = 1E-30 is outside*")]
    [InlineData(0.5f, 0f, "Std", "Std: std[0] = 0 is outside*")]
    [InlineData(float.NaN, 0.25f, "Mean", "Mean: mean[0] = NaN is not a finite value*")]
    public void Pretraining_options_keep_the_model_files_bounds_before_training(float mean0, float std0, string option, string message)
    {
        var options = new PretrainingOptions { Mean = [mean0, 0.5f, 0.5f], Std = [std0, 0.25f, 0.25f] };

        options.Invoking(o => o.Validate()).Should().Throw<ArgumentException>().WithMessage(message).Which.ParamName.Should().Be(option);
    }
}
