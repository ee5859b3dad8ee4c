using System.Globalization;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using Xunit.Abstractions;

namespace EquiRecon.Onnx.Tests.Export;

/// <summary>The exported encoder in ML.NET's own ONNX route: <c>LoadImages → ExtractPixels → ApplyOnnxModel</c>.</summary>
public sealed class ApplyOnnxModelTests(ITestOutputHelper output)
{
    private sealed class ImageRow
    {
        public string ImagePath { get; set; } = "";
    }

    [CifarFact]
    public void ML_NETs_ApplyOnnxModel_runs_the_exported_default_encoder_with_TorchSharps_features()
    {
        using var dir = new TempDir();
        var onnx = dir.File("default.onnx");
        OnnxExport.ExportEncoder(OnnxTestModels.DefaultModelFile(dir), onnx);
        var files = Directory.GetDirectories(TestFiles.Cifar10Test!).Order(StringComparer.Ordinal)
            .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal).Take(10)).ToArray();

        var mlContext = new MLContext(seed: 0);
        var data = mlContext.Data.LoadFromEnumerable(files.Select(f => new ImageRow { ImagePath = f }));
        // ExtractPixels with its defaults: channels first, R, G, B, values 0-255 — the exported graph's input.
        var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder: null, nameof(ImageRow.ImagePath))
            .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
            .Append(mlContext.Transforms.ExtractPixels(OnnxExport.InputName, "Image"))
            .Append(mlContext.Transforms.ApplyOnnxModel(
                outputColumnNames: [OnnxExport.InvariantOutputName, OnnxExport.EquivariantOutputName],
                inputColumnNames: [OnnxExport.InputName],
                modelFile: onnx));
        var transformed = pipeline.Fit(data).Transform(data);
        var pixels = transformed.GetColumn<float[]>(OnnxExport.InputName).ToArray();
        var invariant = transformed.GetColumn<float[]>(OnnxExport.InvariantOutputName).ToArray();
        var equivariant = transformed.GetColumn<float[]>(OnnxExport.EquivariantOutputName).ToArray();
        pixels.Should().HaveCount(100);
        invariant[0].Should().HaveCount(128);
        equivariant[0].Should().HaveCount(128);

        // TorchSharp on exactly the pixels ML.NET decoded.
        using var encoder = DefaultEncoder.Load();
        using var scope = torch.NewDisposeScope();
        var batch = torch.tensor(pixels.SelectMany(p => p).ToArray(), [pixels.Length, 3, 32, 32]) / 255f;
        var expected = encoder.Encode(batch).Pooled.contiguous().data<float>().ToArray();
        var actual = invariant.Zip(equivariant, (a, b) => a.Concat(b)).SelectMany(r => r).ToArray();
        var worst = OnnxTestModels.WorstRelative(actual, expected, pixels.Length);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ApplyOnnxModel vs TorchSharp, 100 CIFAR-10 test images: worst relative difference {worst:E2}"));
        worst.Should().BeLessThan(1e-4);
    }
}
