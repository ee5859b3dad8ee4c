using EquiRecon.Cli.Running;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Tests.Running;

public sealed class PretrainRunnerTests
{
    [Fact]
    public void Pretrain_writes_model_metrics_and_checkpoint_with_provenance()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"));
        var outDir = dir.Sub("out");
        using var output = new StringWriter();

        var outcome = PretrainRunner.Run(TinyData.Settings("equirecon", data, outDir), Cli.Console(output), CancellationToken.None);

        outcome.Completed.Should().BeTrue();
        outcome.Step.Should().Be(2);
        File.Exists(Path.Combine(outDir, "checkpoint.ckpt")).Should().BeTrue();
        File.ReadAllLines(Path.Combine(outDir, "metrics.jsonl")).Should().HaveCount(2).And.AllSatisfy(l => l.Should().Contain("\"loss/total\""));
        var manifest = ModelFile.ReadManifest(Path.Combine(outDir, "model.equirecon"));
        manifest.Method.Should().Be("equirecon");
        manifest.InputSize.Should().Be(16);
        manifest.Provenance.Should().ContainKeys("command", "data", "steps", "wall_time_s");
        manifest.Provenance["steps"].Should().Be("2");
        manifest.Provenance["data"].Should().Be(Path.GetFullPath(data));
        output.ToString().Should().Contain("equirecon step 2/2").And.Contain("img/s").And.Contain("model written");
    }

    [Fact]
    public void Resume_after_a_completed_run_is_a_no_op()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"));
        var outDir = dir.Sub("out");
        using var first = new StringWriter();
        PretrainRunner.Run(TinyData.Settings("vicreg", data, outDir), Cli.Console(first), CancellationToken.None).Completed.Should().BeTrue();
        var files = new[] { "checkpoint.ckpt", "metrics.jsonl", "model.equirecon" }.Select(f => Path.Combine(outDir, f)).ToArray();
        var before = files.Select(File.ReadAllBytes).ToArray();

        using var second = new StringWriter();
        var outcome = PretrainRunner.Run(TinyData.Settings("vicreg", data, outDir, resume: true), Cli.Console(second), CancellationToken.None);

        outcome.AlreadyComplete.Should().BeTrue();
        second.ToString().Should().Contain("already complete");
        files.Select(File.ReadAllBytes).Should().BeEquivalentTo(before, o => o.WithStrictOrdering());
    }

    [Fact]
    public void A_cancelled_run_keeps_its_checkpoint_and_resume_finishes_it()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"));
        var outDir = dir.Sub("out");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        using var output = new StringWriter();

        var stopped = PretrainRunner.Run(TinyData.Settings("supervised", data, outDir), Cli.Console(output), cancelled.Token);

        stopped.Completed.Should().BeFalse();
        File.Exists(Path.Combine(outDir, "checkpoint.ckpt")).Should().BeTrue();
        File.Exists(Path.Combine(outDir, "model.equirecon")).Should().BeFalse();
        output.ToString().Should().Contain("--resume");

        var resumed = PretrainRunner.Run(TinyData.Settings("supervised", data, outDir, resume: true), Cli.Console(output), CancellationToken.None);
        resumed.Completed.Should().BeTrue();
        resumed.AlreadyComplete.Should().BeFalse();
        File.Exists(Path.Combine(outDir, "model.equirecon")).Should().BeTrue();
    }

    [Fact]
    public void A_batch_larger_than_the_data_is_refused_naming_the_option()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 2);
        using var output = new StringWriter();
        var act = () => PretrainRunner.Run(TinyData.Settings("vicreg", data, dir.Sub("out")), Cli.Console(output), CancellationToken.None);
        act.Should().Throw<CliException>().WithMessage("*--batch-size*");
    }
}
