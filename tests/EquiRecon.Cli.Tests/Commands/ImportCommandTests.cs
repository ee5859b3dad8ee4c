using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Encoders;
using System.Security.Cryptography;
using TorchSharp;

namespace EquiRecon.Cli.Tests.Commands;

public sealed class ImportCommandTests
{
    private static string Models => Path.Combine(AppContext.BaseDirectory, "DnnImageModels");

    [Fact]
    public void Import_writes_a_loadable_model_file_and_prints_its_hash_and_convention()
    {
        using var dir = new TempDir();
        var path = dir.Sub("mlnet-resnet18-128.equirecon");
        var (code, output, error) = Cli.Run("import", "--from", Models, "--out", path, "--input-size", "128");
        error.Should().BeEmpty();
        code.Should().Be(0);
        var sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
        output.Trim().Split('\n').Should().ContainSingle();
        output.Should().Contain($"Wrote {path} (SHA-256 {sha})").And.Contain("mlnet-resnet18").And.Contain("128 px")
            .And.Contain("Microsoft.ML.DnnImageFeaturizer.ResNet18 0.23.1").And.Contain("BGR 0-255").And.Contain("B 103.06");

        using var model = ModelFile.Load(path);
        model.Manifest.Method.Should().Be("imported");
        model.Manifest.Provenance["command"].Should().StartWith("equirecon import");
        model.Encoder.Config.Should().Be(ResNetEncoderConfig.MlNetResNet18);
        model.Encode(torch.zeros([1, 3, 128, 128], dtype: torch.ScalarType.Byte)).Pooled.shape.Should().Equal(1, 512);
    }

    [Fact]
    public void Import_accepts_the_path_of_ResNet18_onnx()
    {
        using var dir = new TempDir();
        var path = dir.Sub("m.equirecon");
        var (code, _, error) = Cli.Run("import", "--from", Path.Combine(Models, "ResNet18Onnx", "ResNet18.onnx"), "--out", path);
        error.Should().BeEmpty();
        code.Should().Be(0);
        ModelFile.ReadManifest(path).InputSize.Should().Be(224);
    }

    [Fact]
    public void Import_reports_a_missing_source_and_a_bad_input_size()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("import", "--from", dir.Path, "--out", dir.Sub("m.equirecon"));
        code.Should().Be(1);
        error.Should().StartWith("error: ").And.Contain("ResNet18.onnx not found").And.Contain(dir.Path);
        File.Exists(dir.Sub("m.equirecon")).Should().BeFalse();

        (code, _, error) = Cli.Run("import", "--from", Models, "--out", dir.Sub("m.equirecon"), "--input-size", "100");
        code.Should().NotBe(0);
        error.Should().Contain("--input-size").And.Contain("multiple of 32");
    }
}
