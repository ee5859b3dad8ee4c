using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Training;

public sealed class PretrainerTests
{
    [Fact]
    public void Same_seed_gives_bit_identical_weights()
    {
        var data = Tiny.RandomImages(32);
        using var first = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(3), data);
        first.Train().Should().BeTrue();
        using var second = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(3), data);
        second.Train().Should().BeTrue();
        Tiny.ShouldBeIdentical(Tiny.State(first), Tiny.State(second));
    }

    [Theory]
    [InlineData("equirecon")]
    [InlineData("sie-all")]
    public void Stopping_and_resuming_gives_the_same_weights_as_training_straight(string method)
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(24);  // 3 steps per epoch: the run crosses epochs
        var options = Tiny.Options(7);
        using var straight = new Pretrainer(Tiny.Method(method), Tiny.Encoder, options, data);
        straight.Train();

        var checkpoint = dir.File("run.ckpt");
        var resumable = options with { CheckpointPath = checkpoint };
        using (var cts = new CancellationTokenSource())
        using (var part = new Pretrainer(Tiny.Method(method), Tiny.Encoder, resumable, data))
        {
            var progress = new Progress(p => { if (p.Step == 4) cts.Cancel(); });
            part.Train(progress, cancellationToken: cts.Token).Should().BeFalse("it was cancelled");
            part.Step.Should().Be(4);
        }
        File.Exists(checkpoint).Should().BeTrue();

        using var resumed = Pretrainer.Resume(Tiny.Method(method), Tiny.Encoder, resumable, data, checkpoint);
        resumed.Step.Should().Be(4);
        resumed.Train().Should().BeTrue();
        resumed.Step.Should().Be(7);
        Tiny.ShouldBeIdentical(Tiny.State(straight), Tiny.State(resumed));
    }

    [Fact]
    public void A_crash_after_a_periodic_checkpoint_resumes_to_the_same_weights()
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(24);
        var options = Tiny.Options(7);
        using var straight = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, options, data);
        straight.Train();

        var checkpoint = dir.File("run.ckpt");
        var periodic = options with { CheckpointPath = checkpoint, CheckpointEvery = 2 };
        using (var crashing = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, periodic, data))
        {
            // The process "dies" at step 5: no graceful save, only the checkpoint of step 4 exists.
            var act = () => crashing.Train(new Progress(p => { if (p.Step == 5) throw new InvalidOperationException("killed"); }));
            act.Should().Throw<InvalidOperationException>();
        }

        using var resumed = Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, periodic, data, checkpoint);
        resumed.Step.Should().Be(4);
        resumed.Train();
        Tiny.ShouldBeIdentical(Tiny.State(straight), Tiny.State(resumed));
    }

    [Fact]
    public void Progress_reports_every_term_and_throughput_and_the_metrics_log_gets_a_line_per_report()
    {
        using var dir = new TempDir();
        var reports = new List<TrainingProgress>();
        using var trainer = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(3), Tiny.RandomImages(16));
        using (var log = new MetricsLog(dir.File("metrics.jsonl")))
            trainer.Train(new Progress(reports.Add), log);

        reports.Select(r => r.Step).Should().Equal(1, 2, 3);
        reports[^1].Losses.Keys.Should().Contain(["total", "vicreg/invariance", "vicreg/variance", "vicreg/covariance", "reconstruction/mse"]);
        reports.Should().OnlyContain(r => r.ImagesPerSecond > 0 && r.TotalSteps == 3);
        reports[^1].Remaining.Should().Be(TimeSpan.Zero);
        File.ReadAllLines(dir.File("metrics.jsonl")).Should().HaveCount(3).And.OnlyContain(l => l.Contains("\"loss/total\""));
    }

    [Fact]
    public void A_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint()
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(16);
        var checkpoint = dir.File("run.ckpt");
        // One skipped step is one too many here: the guard stops at the first step that stays non-finite.
        var options = Tiny.Options(4) with { CheckpointPath = checkpoint, CheckpointEvery = 1, MaxConsecutiveSkippedSteps = 1 };
        using (var cts = new CancellationTokenSource())
        using (var good = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, options, data))
            good.Train(new Progress(p => { if (p.Step == 2) cts.Cancel(); }), cancellationToken: cts.Token);
        var before = File.ReadAllBytes(checkpoint);

        using var trainer = Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, options, data, checkpoint);
        using (torch.no_grad())
            trainer.Model.Encoder.parameters().First().fill_(float.NaN);
        var act = () => trainer.Train();

        act.Should().Throw<TrainingDivergedException>().WithMessage($"*step 3*{checkpoint}*");
        File.ReadAllBytes(checkpoint).Should().Equal(before, "the last good checkpoint is kept");
        trainer.Step.Should().Be(2, "the diverged step is not applied");
    }

    [Fact]
    public void Deterministic_in_a_process_already_running_another_oneDNN_level_is_refused_with_what_to_do()
    {
        // This test process loaded libtorch at the default level (TorchTestSetup); determinism is chosen per process.
        if (EquiRecon.TorchSharp.Runtime.TorchNative.IsDeterministic)
            return; // run with EQUIRECON_DETERMINISTIC=1 or DNNL_MAX_CPU_ISA=SSE41: nothing to refuse
        var act = () => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { Deterministic = true }, Tiny.RandomImages(16));

        act.Should().Throw<InvalidOperationException>()
            .WithMessage("*SSE41*EQUIRECON_DETERMINISTIC=1*TorchNative.EnsureLoaded(deterministic: true)*");
    }

    [Fact]
    public void Resuming_a_checkpoint_of_another_run_is_refused_with_the_differences()
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(16);
        var checkpoint = dir.File("run.ckpt");
        using (var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { CheckpointPath = checkpoint }, data))
            trainer.Train();

        var act = () => Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { CheckpointPath = checkpoint, Seed = 99 }, data, checkpoint);
        act.Should().Throw<ModelFileException>().WithMessage("*seed*");
        var other = () => Pretrainer.Resume(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(1), data, checkpoint);
        other.Should().Throw<ModelFileException>().WithMessage("*method*");
    }

    [Fact]
    public void A_truncated_checkpoint_gives_a_clear_error_and_is_not_overwritten()
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(16);
        var checkpoint = dir.File("run.ckpt");
        using (var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { CheckpointPath = checkpoint }, data))
            trainer.Train();
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var truncated = File.ReadAllBytes(checkpoint);

        var act = () => Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1), data, checkpoint);

        act.Should().Throw<ModelFileException>().WithMessage($"*{checkpoint}*");
        File.ReadAllBytes(checkpoint).Should().Equal(truncated);
    }

    [Fact]
    public void Bad_options_and_data_are_rejected_with_the_option_named()
    {
        var data = Tiny.RandomImages(8);
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1, batch: 16), data))
            .Should().Throw<ArgumentException>().WithMessage("*8 images*batch of 16*");
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(0), data))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("Steps");
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { CheckpointEvery = 5 }, data))
            .Should().Throw<ArgumentException>().WithMessage("*CheckpointPath*");
    }

    private sealed class Progress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}
