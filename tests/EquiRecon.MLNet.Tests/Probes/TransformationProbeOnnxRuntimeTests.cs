using EquiRecon.MLNet.Probes;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using Microsoft.ML;
using static EquiRecon.MLNet.Tests.Probes.ProbeTestSupport;

namespace EquiRecon.MLNet.Tests.Probes;

/// <summary><c>Runtime = OnnxRuntime</c> on a fitted transformation probe: encoder and head exported, the same predictions.</summary>
public sealed class TransformationProbeOnnxRuntimeTests
{
    private static TransformationProbeOptions Options(string modelFile, ProbeFeatures features, RepresentationPart part, TransformKind kind) => new()
    {
        ModelFile = modelFile,
        Kind = kind,
        Features = features,
        Part = part,
        HiddenWidth = 16,
        Epochs = 2,
        SamplesPerImage = 2,
    };

    [Theory]
    [InlineData(ProbeFeatures.Tokens, RepresentationPart.Equivariant, TransformKind.Rotation)]
    [InlineData(ProbeFeatures.Pooled, RepresentationPart.All, TransformKind.Translation)]
    [InlineData(ProbeFeatures.Pooled, RepresentationPart.Invariant, TransformKind.Color)]
    public void The_ONNX_Runtime_probe_predicts_like_the_TorchSharp_one(ProbeFeatures features, RepresentationPart part, TransformKind kind)
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = Data(mlContext, RandomImages(6));
        var torchProbe = mlContext.Transforms.EquiRecon().TransformationProbe(Options(SaveRandomEncoder(temp.File("e.zip")), features, part, kind)).Fit(data);
        var onnxProbe = torchProbe.WithRuntime(InferenceRuntime.OnnxRuntime);
        onnxProbe.Runtime.Should().Be(InferenceRuntime.OnnxRuntime);

        var column = torchProbe.OutputColumnName;
        ShouldMatch(ReadColumn(onnxProbe.Transform(data), column), ReadColumn(torchProbe.Transform(data), column));
    }

    [Fact]
    public void A_between_columns_probe_on_ONNX_Runtime_round_trips_and_predicts_like_TorchSharp()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var images = RandomImages(4);
        var data = mlContext.Data.LoadFromEnumerable(images.Select((i, n) => new ImagePairRow { Image = i, Transformed = images[3 - n] }).ToArray());
        var options = Options(SaveRandomEncoder(temp.File("e.zip")), ProbeFeatures.Tokens, RepresentationPart.Equivariant, TransformKind.Flip) with
        {
            Mode = ProbeMode.BetweenColumns,
            TransformedImageColumnName = "Transformed",
            Runtime = InferenceRuntime.OnnxRuntime,
        };
        var onnxProbe = mlContext.Transforms.EquiRecon().TransformationProbe(options).Fit(data);
        var expected = ReadColumn(onnxProbe.WithRuntime(InferenceRuntime.TorchSharp).Transform(data), onnxProbe.OutputColumnName);
        var actual = ReadColumn(onnxProbe.Transform(data), onnxProbe.OutputColumnName);
        ShouldMatch(actual, expected);

        string zip = temp.File("model.zip");
        mlContext.Model.Save(onnxProbe, null, zip);
        var loaded = new MLContext(seed: 2).Model.Load(zip, out _).Should().BeOfType<TransformationProbeTransformer>().Subject;
        loaded.Runtime.Should().Be(InferenceRuntime.OnnxRuntime);
        ReadColumn(loaded.Transform(data), onnxProbe.OutputColumnName).Should().BeEquivalentTo(actual, o => o.WithStrictOrdering());
        loaded.Evaluate(Data(mlContext, images)).Samples.Should().Be(4, "Evaluate runs on TorchSharp, loaded on demand");
    }

    private static void ShouldMatch(float[][] actual, float[][] expected)
    {
        actual.Should().HaveCount(expected.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(expected[i].Max(v => Math.Abs(v)), 1e-6);
            double diff = actual[i].Zip(expected[i], (a, e) => (double)Math.Abs(a - e)).Max();
            diff.Should().BeLessThanOrEqualTo(1e-4 * scale, $"row {i}");
        }
    }
}
