using System.CommandLine;
using EquiRecon.Cli.Commands;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;

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

    [Fact]
    public void An_unreadable_image_stops_pretraining_naming_it_unless_skip_unreadable_is_given()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var broken = Path.Combine(Directory.GetDirectories(data)[0], "0-broken.png");
        File.WriteAllText(broken, "not an image");
        string[] args = ["pretrain", "--method", "vicreg", "--data", data, "--image-size", "16", "--batch-size", "4", "--steps", "1", "--threads", "1"];

        var (code, _, error) = Cli.Run([.. args, "--out", dir.Sub("out1")]);
        code.Should().NotBe(0);
        error.Should().Contain(broken).And.Contain("could not be decoded").And.NotContain("   at ");

        var (skipCode, output, skipError) = Cli.Run([.. args, "--out", dir.Sub("out2"), "--skip-unreadable"]);
        skipCode.Should().Be(0, skipError + output);
        output.Should().Contain($"Skipped 1 unreadable image (--skip-unreadable): {broken}.");
        ModelFile.ReadManifest(Path.Combine(dir.Sub("out2"), "model.equirecon")).Provenance["skipped_unreadable"].Should().Be("1");
    }

    [Fact]
    public void An_image_whose_header_claims_a_huge_size_stops_pretraining_naming_it_and_is_skipped_with_skip_unreadable()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var huge = PngForge.WriteClaimingSize(Path.Combine(Directory.GetDirectories(data)[0], "0-huge.png"), 100_000, 100_000);
        string[] args = ["pretrain", "--method", "vicreg", "--data", data, "--image-size", "16", "--batch-size", "4", "--steps", "1", "--threads", "1"];

        var (code, _, error) = Cli.Run([.. args, "--out", dir.Sub("out1")]);
        code.Should().NotBe(0);
        error.Should().Contain($"Image '{huge}' is 100000×100000 pixels (10000 megapixels), more than the limit of 100 megapixels")
            .And.NotContain("   at ").And.NotContain("AggregateException");

        var (skipCode, output, skipError) = Cli.Run([.. args, "--out", dir.Sub("out2"), "--skip-unreadable"]);
        skipCode.Should().Be(0, skipError + output);
        output.Should().Contain($"Skipped 1 unreadable image (--skip-unreadable): {huge}.");

        // The limit is an option: at 1 megapixel the 100-pixel images pass and the huge one is still refused.
        var (strictCode, _, strictError) = Cli.Run([.. args, "--out", dir.Sub("out3"), "--max-image-megapixels", "1"]);
        strictCode.Should().NotBe(0);
        strictError.Should().Contain("more than the limit of 1 megapixels");
    }

    [Fact]
    public void Resume_without_a_checkpoint_says_it_starts_fresh()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var outDir = dir.Sub("out");

        var (code, output, error) = Cli.Run("pretrain", "--method", "vicreg", "--data", data, "--out", outDir, "--image-size", "16",
            "--batch-size", "4", "--steps", "1", "--threads", "1", "--resume");

        code.Should().Be(0, error + output);
        output.Should().Contain($"--resume given but there is no checkpoint at {Path.Combine(outDir, "checkpoint.ckpt")}; starting fresh.");
    }

    /// <summary>A model file of the tiny encoder (a layout that is no preset) with its own normalisation.</summary>
    private static string WriteInitModel(string path)
    {
        TorchNative.EnsureLoaded();
        using var encoder = new ResNetEncoder(TinyData.Encoder);
        ModelFile.Save(path, encoder, "vicreg", 16, [0.5f, 0.4f, 0.3f], [0.2f, 0.25f, 0.3f]);
        return path;
    }

    [Fact]
    public void Init_and_freeze_stages_continue_from_a_model_file_and_record_it_in_the_provenance()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var init = WriteInitModel(dir.Sub("init.equirecon"));
        var outDir = dir.Sub("out");

        var (code, output, error) = Cli.Run("pretrain", "--method", "equirecon", "--data", data, "--out", outDir, "--image-size", "16",
            "--batch-size", "4", "--steps", "2", "--threads", "1", "--init", init, "--freeze-stages", "1");

        code.Should().Be(0, error + output);
        var manifest = ModelFile.ReadManifest(Path.Combine(outDir, "model.equirecon"));
        var initManifest = ModelFile.ReadManifest(init);
        EncoderSpecs.SameArchitecture(manifest.Encoder, initManifest.Encoder).Should().BeTrue("the architecture comes from the init file");
        manifest.Mean.Should().Equal(initManifest.Mean);
        manifest.Std.Should().Equal(initManifest.Std);
        manifest.Provenance["frozen_stages"].Should().Be("1");
        manifest.Provenance["init_from"].Should().Contain("init.equirecon").And.Contain(initManifest.WeightsSha256).And.Contain("vicreg");
        manifest.Provenance["encoder"].Should().Be("from init.equirecon");
    }

    [Fact]
    public void A_missing_or_mismatched_init_file_or_too_many_frozen_stages_fail_naming_the_option()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var init = WriteInitModel(dir.Sub("init.equirecon"));
        string[] common = ["pretrain", "--method", "vicreg", "--data", data, "--out", dir.Sub("out"), "--image-size", "16", "--batch-size", "4", "--steps", "1"];

        var (code, _, error) = Cli.Run([.. common, "--init", dir.Sub("missing.equirecon")]);
        code.Should().Be(1);
        error.Should().Contain("--init").And.Contain("missing.equirecon").And.NotContain("   at ");

        File.WriteAllText(dir.Sub("corrupt.equirecon"), "not a zip");
        (code, _, error) = Cli.Run([.. common, "--init", dir.Sub("corrupt.equirecon")]);
        code.Should().Be(1);
        error.Should().Contain("--init").And.Contain("corrupt.equirecon");

        (code, _, error) = Cli.Run([.. common, "--init", init, "--encoder", "small-cifar-resnet"]);
        code.Should().Be(1);
        error.Should().Contain("--encoder").And.Contain("--init").And.Contain("small-cifar-resnet");

        (code, _, error) = Cli.Run([.. common, "--init", init, "--freeze-stages", "5"]);
        code.Should().Be(1);
        error.Should().Contain("--freeze-stages").And.Contain("4 stages");
        Directory.Exists(dir.Sub("out")).Should().BeFalse();
    }

    [Fact]
    public void Deterministic_processes_pretrain_bit_identical_models_and_say_so_in_the_provenance()
    {
        // Bit-identical runs are opted into per process (issue 28): oneDNN fixes its instruction set once per process, so
        // each run is a child CLI with EQUIRECON_DETERMINISTIC=1 (and without the AVX2 level this test process passes on).
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 8);
        var environment = new Dictionary<string, string?> { ["EQUIRECON_DETERMINISTIC"] = "1", ["DNNL_MAX_CPU_ISA"] = null };
        ModelManifest Run(string name)
        {
            var outDir = dir.Sub(name);
            ChildCli.RunToEnd(["pretrain", "--method", "equirecon", "--data", data, "--out", outDir, "--encoder", "small-cifar-resnet",
                "--image-size", "16", "--batch-size", "8", "--steps", "3", "--threads", "2"], environment);
            return ModelFile.ReadManifest(Path.Combine(outDir, "model.equirecon"));
        }

        var first = Run("first");
        var second = Run("second");

        first.Provenance["cpu_isa"].Should().Be("SSE41");
        first.Provenance["deterministic"].Should().Be("true");
        first.Provenance["recomputed_steps"].Should().Be("0");
        second.WeightsSha256.Should().Be(first.WeightsSha256, "the same seed in two deterministic processes gives the same bits");
    }
}
