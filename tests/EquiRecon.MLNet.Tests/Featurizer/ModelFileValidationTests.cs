using System.IO.Compression;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Runtime;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>
/// A corrupt model file is refused when a step is created (not first at <c>Fit</c>), and messages name where the model
/// file came from: the path, or the ML.NET model it was embedded in.
/// </summary>
public sealed class ModelFileValidationTests
{
    [Fact]
    public void A_model_file_with_one_flipped_byte_is_refused_when_each_step_is_created_naming_the_file()
    {
        using var temp = new TempDir();
        string path = TinyModel.Write(temp.File("encoder.equirecon"));
        FlipWeightByte(path);
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();

        Action[] create =
        [
            () => catalog.FeaturizeImage(path),
            () => catalog.FeaturizeImage(new EquiReconFeaturizerOptions { ModelFile = path }),
            () => catalog.TransformationProbe(path),
            () => catalog.TransformationProbe(new TransformationProbeOptions { ModelFile = path }),
            () => catalog.Segmentation(path),
            () => catalog.Segmentation(new EquiReconSegmentationOptions { ModelFile = path }),
        ];

        foreach (var step in create)
        {
            step.Should().Throw<ModelFileException>()
                .Which.Message.Should().StartWith($"Model file {path}:").And.Contain("corrupt")
                .And.NotContain("embedded", "the file is named, not an ML.NET model");
        }
    }

    [Fact]
    public void The_intact_file_is_accepted_so_the_flip_is_what_is_refused()
    {
        using var temp = new TempDir();
        string path = TinyModel.Write(temp.File("encoder.equirecon"));

        var estimator = new MLContext(seed: 1).Transforms.EquiRecon().FeaturizeImage(path);

        estimator.Manifest.Method.Should().Be("random");
    }

    [Fact]
    public void A_corrupt_model_file_inside_a_saved_ML_NET_model_is_named_as_embedded_in_it()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 1);
        string modelFile = TinyModel.Write(temp.File("encoder.equirecon"));
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);
        var model = TinyModel.Pipeline(mlContext, new EquiReconFeaturizerOptions { ModelFile = modelFile }).Fit(data);
        string zip = temp.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        CorruptEmbeddedModelFile(zip);

        var load = () => new MLContext(seed: 2).Model.Load(zip, out _);

        var error = load.Should().Throw<Exception>().Which;
        string messages = string.Join(" | ", Chain(error).Select(e => e.Message));
        messages.Should().Contain($"{EncoderSource.EmbeddedSource}: ").And.Contain("corrupt")
            .And.NotContain("Model file the ", "the source reads after the words 'Model file'");
    }

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
            yield return e;
    }

    // The weights entry is stored uncompressed and is most of the file: a byte at 3/4 of the file is a weight's.
    private static void FlipWeightByte(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        bytes[bytes.Length * 3 / 4] ^= 0x01;
        File.WriteAllBytes(path, bytes);
    }

    // Rewrites the featurizer's "EncoderModel" stream (blob header of 8 bytes, then the model file) with one weight byte flipped.
    private static void CorruptEmbeddedModelFile(string zip) =>
        SavedModelZip.Rewrite(zip, SavedModelZip.EncoderModelStream, blob => blob[8 + ((blob.Length - 8) * 3 / 4)] ^= 0x01);
}
