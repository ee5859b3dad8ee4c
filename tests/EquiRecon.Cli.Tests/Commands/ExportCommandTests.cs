using System.Security.Cryptography;
using EquiRecon.TorchSharp.IO;
using Onnx;

namespace EquiRecon.Cli.Tests.Commands;

public sealed class ExportCommandTests
{
    [Fact]
    public void Export_writes_an_onnx_model_of_the_encoder_and_prints_its_hash_and_interface()
    {
        using var dir = new TempDir();
        var model = dir.Sub("default.equirecon");
        File.WriteAllBytes(model, DefaultEncoder.ReadBytes());
        var onnx = dir.Sub("default.onnx");
        var (code, output, error) = Cli.Run("export", "--format", "onnx", "--model", model, "--out", onnx);
        error.Should().BeEmpty();
        code.Should().Be(0);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(onnx)));
        output.Should().Contain($"Wrote {onnx} (ONNX opset 17, SHA-256 {sha})").And.Contain("'pixels' N x 3 x 32 x 32")
            .And.Contain("'invariant' N x 128").And.Contain("batch norm folded");
        var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx));
        proto.Graph.Output.Select(o => o.Name).Should().Equal("invariant", "equivariant", "tokens");

        (code, output, _) = Cli.Run("export", "--model", model, "--out", onnx, "--keep-batch-norm", "--input-size", "64");
        code.Should().Be(0);
        output.Should().Contain("N x 3 x 64 x 64").And.Contain("batch norm kept");
    }

    [Fact]
    public void Export_reports_a_missing_model_and_an_unknown_format()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("export", "--model", dir.Sub("missing.equirecon"), "--out", dir.Sub("m.onnx"));
        code.Should().NotBe(0);
        error.Should().Contain("--model").And.Contain("does not exist");

        File.WriteAllBytes(dir.Sub("m.equirecon"), DefaultEncoder.ReadBytes());
        (code, _, error) = Cli.Run("export", "--format", "tflite", "--model", dir.Sub("m.equirecon"), "--out", dir.Sub("m.onnx"));
        code.Should().NotBe(0);
        error.Should().Contain("--format").And.Contain("onnx");
        File.Exists(dir.Sub("m.onnx")).Should().BeFalse();
    }
}
