using System.CommandLine;
using EquiRecon.Cli.Commands;

namespace EquiRecon.Cli.Tests.Commands;

public sealed class PretrainCommandTests
{
    [Fact]
    public void Unknown_method_fails_naming_the_option_and_the_known_methods()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("pretrain", "--method", "no-such-method", "--data", dir.Path, "--out", dir.Sub("out"));
        code.Should().Be(1);
        error.Should().Contain("--method").And.Contain("no-such-method").And.Contain("equirecon").And.Contain("vicreg");
        error.Should().NotContain("   at ", "no stack trace is printed");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("many")]
    public void Bad_steps_fail_naming_the_option(string steps)
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("pretrain", "--method", "equirecon", "--data", dir.Path, "--out", dir.Sub("out"), "--steps", steps);
        code.Should().Be(1);
        error.Should().Contain("--steps");
        Directory.Exists(dir.Sub("out")).Should().BeFalse();
    }

    [Fact]
    public void Missing_data_folder_fails_with_a_message()
    {
        using var dir = new TempDir();
        var missing = dir.Sub("no-such-folder");
        var (code, _, error) = Cli.Run("pretrain", "--method", "vicreg", "--data", missing, "--out", dir.Sub("out"));
        code.Should().Be(1);
        error.Should().Contain("--data").And.Contain("does not exist").And.Contain("no-such-folder");
    }

    [Theory]
    [InlineData("--lr", "0")]
    [InlineData("--batch-size", "1")]
    [InlineData("--device", "gpu")]
    [InlineData("--encoder", "resnet-9000")]
    [InlineData("--threads", "0")]
    public void Bad_values_fail_naming_the_option(string option, string value)
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("pretrain", "--method", "vicreg", "--data", dir.Path, "--out", dir.Sub("out"), option, value);
        code.Should().Be(1);
        error.Should().Contain(option);
    }

    [Fact]
    public void Steps_and_epochs_cannot_be_combined()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("pretrain", "--method", "vicreg", "--data", dir.Path, "--out", dir.Sub("out"), "--steps", "10", "--epochs", "2");
        code.Should().Be(1);
        error.Should().Contain("--steps").And.Contain("--epochs");
    }

    [Fact]
    public void Options_parse_into_settings()
    {
        using var dir = new TempDir();
        var options = new PretrainCommand.Options();
        var root = new RootCommand { PretrainCommand.Create(options) };
        var parse = root.Parse(["pretrain", "--method", "sie-rot", "--data", dir.Path, "--out", dir.Sub("out"), "--epochs", "3",
            "--encoder", "cifar-resnet18", "--image-size", "24", "--batch-size", "64", "--lr", "0.002", "--seed", "7", "--threads", "1",
            "--limit-per-class", "50", "--checkpoint-every", "5", "--resume"]);
        parse.Errors.Should().BeEmpty();
        var settings = options.Read(parse);
        settings.Method.Name.Should().Be("sie-rot");
        settings.EncoderName.Should().Be("cifar-resnet18");
        settings.ImageSize.Should().Be(24);
        settings.Epochs.Should().Be(3);
        settings.LimitPerClass.Should().Be(50);
        settings.Resume.Should().BeTrue();
        settings.Options.BatchSize.Should().Be(64);
        settings.Options.LearningRate.Should().Be(0.002);
        settings.Options.Seed.Should().Be(7);
        settings.Options.Threads.Should().Be(1);
        settings.Options.CheckpointEvery.Should().Be(5);
        settings.OutDir.Should().Be(Path.GetFullPath(dir.Sub("out")));
        settings.CommandLine.Should().StartWith("equirecon pretrain --method sie-rot");
    }

    [Fact]
    public void An_existing_checkpoint_is_not_overwritten_without_resume()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var outDir = Directory.CreateDirectory(dir.Sub("out")).FullName;
        var checkpoint = Path.Combine(outDir, "checkpoint.ckpt");
        File.WriteAllText(checkpoint, "an earlier run");

        var (code, _, error) = Cli.Run("pretrain", "--method", "vicreg", "--data", data, "--out", outDir, "--image-size", "16", "--batch-size", "4", "--steps", "1");

        code.Should().Be(1);
        error.Should().Contain("already holds a training checkpoint").And.Contain("--resume");
        File.ReadAllText(checkpoint).Should().Be("an earlier run");
    }
}
