using EquiRecon.MLNet;
using EquiRecon.MLNet.Pretraining;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using TorchSharp;

namespace EquiRecon.Cli.Tests.Running;

/// <summary>
/// ML.NET's <c>Pretrain</c> and the CLI's <c>pretrain</c> share one record of settings (<c>PretrainingOptions</c>), one
/// head-size rule (<c>HeadSizes.For</c>) and one provenance writer (<c>Pretrainer.Provenance</c>): the same method, encoder,
/// settings and seed must train the same model through either.
/// </summary>
public sealed class PretrainEquivalenceTests
{
    private const int Size = 32;
    private const int Steps = 2;
    private const int BatchSize = 8;
    private const int Seed = 3;

    private sealed class ImageRow
    {
        [ImageType(Size, Size)]
        public MLImage? Image { get; set; }
    }

    [Fact]
    public void MLNet_Pretrain_and_CLI_pretrain_with_the_same_method_encoder_and_seed_train_bit_identical_models()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 8, size: Size);
        var outDir = dir.Sub("out");

        // The CLI, in-process, with its defaults for everything not given (encoder small-cifar-resnet, heads sized to it).
        var (code, output, error) = Cli.Run("pretrain", "--method", "equirecon", "--data", data, "--out", outDir,
            "--steps", $"{Steps}", "--batch-size", $"{BatchSize}", "--seed", $"{Seed}", "--image-size", $"{Size}");
        code.Should().Be(0, output + error);
        var cliModel = Path.Combine(outDir, "model.equirecon");

        // ML.NET, over the same images in the CLI's order (class folders, then file names, both ordinal).
        var files = Directory.GetDirectories(data).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal)).ToArray();
        var rows = files.Select(f => new ImageRow { Image = MLImage.CreateFromFile(f) }).ToArray();
        try
        {
            var mlContext = new MLContext(seed: 1);
            var images = mlContext.Data.LoadFromEnumerable(rows);
            var featurizer = mlContext.Transforms.EquiRecon().Pretrain(new EquiReconPretrainingOptions
            {
                Steps = Steps,
                BatchSize = BatchSize,
                Seed = Seed,
            }).Fit(images);
            var mlnetModel = dir.Sub("mlnet.equirecon");
            featurizer.SaveModelFile(mlnetModel);

            var cliManifest = ModelFile.ReadManifest(cliModel);
            var mlnetManifest = ModelFile.ReadManifest(mlnetModel);
            foreach (var key in new[] { "method", "encoder", "heads", "steps", "batch_size", "learning_rate", "weight_decay", "seed", "images", "image_size", "device", "frozen_stages" })
                mlnetManifest.Provenance[key].Should().Be(cliManifest.Provenance[key], $"provenance key '{key}' is written by one writer");
            mlnetManifest.Encoder.Should().BeEquivalentTo(cliManifest.Encoder);

            using var cli = ModelFile.Load(cliModel);
            using var mlnet = ModelFile.Load(mlnetModel);
            var cliState = cli.Encoder.state_dict();
            var mlnetState = mlnet.Encoder.state_dict();
            mlnetState.Keys.Should().Equal(cliState.Keys, "the same parameter and buffer names, in the same order");
            foreach (var (name, expected) in cliState)
            {
                var actual = mlnetState[name];
                actual.shape.Should().Equal(expected.shape, name);
                actual.contiguous().bytes.SequenceEqual(expected.contiguous().bytes).Should().BeTrue($"'{name}' is bit-identical after {Steps} steps");
            }
            ModelFile.ReadWeights(mlnetModel).Weights.AsSpan().SequenceEqual(ModelFile.ReadWeights(cliModel).Weights).Should().BeTrue("the serialized weights are byte for byte the same");
        }
        finally
        {
            foreach (var row in rows)
                row.Image?.Dispose();
        }
    }
}
