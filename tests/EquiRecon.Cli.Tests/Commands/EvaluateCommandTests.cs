using System.Text.Json;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.Cli.Tests.Commands;

public sealed class EvaluateCommandTests
{
    private static string TinyModel(string path)
    {
        torch.manual_seed(1);
        using var encoder = EncoderFactory.Create(TinyData.Encoder);
        ModelFile.Save(path, encoder, "random", 16, ImageTensors.Cifar10Mean, ImageTensors.Cifar10Std);
        return path;
    }

    private static string[] Args(string model, string data, params string[] more) =>
    [
        "evaluate", "--model", model, "--data", data, "--train-images", "16", "--test-images", "8",
        "--probe-epochs", "2", "--probe-hidden", "8", "--linear-epochs", "2", "--knn-k", "3", "--threads", "1", .. more,
    ];

    [Fact]
    public void Evaluate_prints_R2_numbers_and_writes_evaluation_json_beside_the_model()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("data"));
        var model = TinyModel(dir.Sub("model.equirecon"));

        var (code, output, error) = Cli.Run(Args(model, data, "--probes", "rot,blur,cls"));

        code.Should().Be(0, error);
        output.Should().Contain("R²").And.Contain("rot").And.Contain("blur").And.Contain("kNN");
        output.Should().MatchRegex(@"rot\s*│\s*all\s*│\s*-?\d+\.\d{3}");
        using var json = JsonDocument.Parse(File.ReadAllText(dir.Sub("evaluation.json")));
        var root = json.RootElement;
        root.GetProperty("method").GetString().Should().Be("random");
        root.GetProperty("transformations").GetArrayLength().Should().Be(2);
        root.GetProperty("transformations")[0].GetProperty("r2_global").GetDouble().Should().BeLessThanOrEqualTo(1);
        root.GetProperty("transformations")[0].TryGetProperty("r2_per_output", out _).Should().BeTrue();
        root.GetProperty("classification")[0].GetProperty("linear_top1").GetDouble().Should().BeInRange(0, 1);
    }

    [Fact]
    public void Part_both_probes_invariant_and_equivariant_separately_and_out_chooses_the_file()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("data"));
        var model = TinyModel(dir.Sub("model.equirecon"));
        var outFile = dir.Sub("results/eval.json");

        var (code, output, error) = Cli.Run(Args(model, data, "--probes", "flip", "--part", "both", "--out", outFile));

        code.Should().Be(0, error);
        output.Should().Contain("invariant").And.Contain("equivariant");
        using var json = JsonDocument.Parse(File.ReadAllText(outFile));
        json.RootElement.GetProperty("transformations").EnumerateArray().Select(t => t.GetProperty("part").GetString())
            .Should().Equal("invariant", "equivariant");
        File.Exists(dir.Sub("evaluation.json")).Should().BeFalse();
    }

    [Fact]
    public void Unknown_probe_fails_naming_the_option()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir.Sub("model.equirecon"));
        var (code, _, error) = Cli.Run(Args(model, dir.Path, "--probes", "rot,zoom"));
        code.Should().Be(1);
        error.Should().Contain("--probes").And.Contain("zoom");
    }

    [Fact]
    public void Budget_protocol_refuses_the_options_it_fixes_and_other_image_sizes()
    {
        using var dir = new TempDir();
        var model = TinyModel(dir.Sub("model.equirecon"));

        var (code, _, error) = Cli.Run(["evaluate", "--model", model, "--data", dir.Path, "--budget", "smoke", "--probe-hidden", "8"]);
        code.Should().Be(1);
        error.Should().Contain("--budget").And.Contain("--probe-hidden");

        (code, _, error) = Cli.Run(["evaluate", "--model", model, "--data", dir.Path, "--budget", "smoke"]);
        code.Should().Be(1);
        error.Should().Contain("--budget").And.Contain("32-px").And.Contain("16 px");
    }

    [Fact]
    public void Missing_model_fails_naming_the_option()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run(Args(dir.Sub("nothing.equirecon"), dir.Path));
        code.Should().Be(1);
        error.Should().Contain("--model").And.Contain("does not exist");
    }

    [Fact]
    public void Data_without_train_and_test_folders_fails_with_a_message()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("flat"), perClass: 2);
        var model = TinyModel(dir.Sub("model.equirecon"));
        var (code, _, error) = Cli.Run(Args(model, data, "--probes", "rot"));
        code.Should().Be(1);
        error.Should().Contain("--data").And.Contain("train/");
        error.Should().NotContain("   at ");
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    public void A_damaged_model_file_fails_with_one_line_naming_the_file_and_no_stack_trace(string damage)
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("data"));
        var model = TinyModel(dir.Sub("model.equirecon"));
        var bytes = File.ReadAllBytes(model);
        if (damage == "truncated")
            bytes = bytes[..(bytes.Length * 2 / 3)];
        else
            bytes[bytes.Length / 2] ^= 0x40;
        File.WriteAllBytes(model, bytes);

        var (code, _, error) = Cli.Run(Args(model, data, "--probes", "rot"));

        code.Should().NotBe(0);
        error.Trim().Split('\n').Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain(model);
        error.Should().NotContain("   at ");
    }
}
