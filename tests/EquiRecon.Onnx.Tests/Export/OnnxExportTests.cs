using System.Diagnostics;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace EquiRecon.Onnx.Tests.Export;

public sealed class OnnxExportTests
{
    [Fact]
    public void The_exported_graph_has_opset_17_a_dynamic_batch_and_the_three_outputs()
    {
        using var dir = new TempDir();
        var path = dir.File("default.onnx");
        var manifest = OnnxExport.ExportEncoder(OnnxTestModels.DefaultModelFile(dir), path);

        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        model.OpsetImport.Single().Version.Should().Be(17);
        model.IrVersion.Should().Be(8);
        var input = model.Graph.Input.Single();
        input.Name.Should().Be("pixels");
        input.Type.TensorType.Shape.Dim.Select(d => d.DimParam.Length > 0 ? d.DimParam : d.DimValue.ToString()).Should().Equal("N", "3", "32", "32");
        model.Graph.Output.Select(o => o.Name).Should().Equal("invariant", "equivariant", "tokens");
        model.Graph.Node.Select(n => n.OpType).Should().NotContain("BatchNormalization", "batch norms are folded by default");
        model.MetadataProps.Single(p => p.Key == "equirecon.weights_sha256").Value.Should().Be(manifest.WeightsSha256);

        using var session = new InferenceSession(path);
        session.InputMetadata["pixels"].Dimensions.Should().Equal(-1, 3, 32, 32);
        session.OutputMetadata["invariant"].Dimensions.Should().Equal(-1, 128);
        session.OutputMetadata["equivariant"].Dimensions.Should().Equal(-1, 128);
        session.OutputMetadata["tokens"].Dimensions.Should().Equal(-1, 16, 256);

        var kept = ModelProto.Parser.ParseFrom(OnnxExport.ExportEncoderToBytes(DefaultEncoder.ReadBytes(), new OnnxExportOptions { FoldBatchNorm = false }));
        kept.Graph.Node.Count(n => n.OpType == "BatchNormalization").Should().Be(model.Graph.Node.Count(n => n.OpType == "Conv"));
    }

    [Fact]
    public void A_corrupt_model_file_fails_with_the_file_named()
    {
        using var dir = new TempDir();
        var bytes = DefaultEncoder.ReadBytes();
        var act = () => OnnxExport.ExportEncoderToBytes(bytes[..1000], sourceName: "model file broken.equirecon");
        act.Should().Throw<ModelFileException>().WithMessage("*broken.equirecon*");
        var tooSmall = () => OnnxExport.ExportEncoderToBytes(bytes, new OnnxExportOptions { InputSize = 4 });
        tooSmall.Should().Throw<ArgumentException>().WithMessage("*OnnxExportOptions.InputSize*");
    }

    /// <summary>Runs the export in a fresh process (this test assembly's own entry point, <see cref="Program"/>) and checks
    /// that neither libtorch nor TorchSharp's native library was loaded there.</summary>
    [Fact]
    public void Exporting_loads_no_libtorch()
    {
        using var dir = new TempDir();
        var model = OnnxTestModels.DefaultModelFile(dir);
        var onnx = dir.File("out.onnx");
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "exec", typeof(Program).Assembly.Location, Program.ExportCommand, model, onnx })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, stdout + stderr);
        stdout.Should().Contain("no native torch library loaded");
        File.Exists(onnx).Should().BeTrue();
    }
}
