using EquiRecon.TorchSharp.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Training;

/// <summary>
/// The finite-step guard (issue 28): a step with non-finite gradients is recomputed once, then skipped and counted, and
/// a run stops only after too many skipped steps in a row. Faults are injected where oneDNN's kernels put them: into the
/// gradients after the backward pass.
/// </summary>
public sealed class FiniteStepGuardTests
{
    [Fact]
    public void A_recomputed_step_gives_the_same_weights_as_a_clean_run()
    {
        var data = Tiny.RandomImages(32);
        using var clean = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(4), data);
        clean.Train().Should().BeTrue();
        clean.RecomputedSteps.Should().Be(0);

        using var faulty = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(4), data);
        faulty.Guard.InjectNonFinite = (call, attempt) => call == 2 && attempt == 0;
        faulty.Train().Should().BeTrue();

        faulty.RecomputedSteps.Should().Be(1);
        faulty.SkippedSteps.Should().Be(0);
        Tiny.ShouldBeIdentical(Tiny.State(clean), Tiny.State(faulty)); // weights and BatchNorm statistics: the discarded pass left no trace
    }

    [Fact]
    public void A_step_that_stays_non_finite_is_skipped_and_leaves_the_model_unchanged()
    {
        var data = Tiny.RandomImages(32);
        using var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(6), data);
        trainer.TrainSteps(3);
        var before = Tiny.State(trainer);

        trainer.Guard.InjectNonFinite = (call, _) => call == 3;
        trainer.TrainSteps(1);

        trainer.Step.Should().Be(4, "a skipped step still moves the data and the schedule on");
        trainer.SkippedSteps.Should().Be(1);
        trainer.RecomputedSteps.Should().Be(0);
        Tiny.ShouldBeIdentical(before, Tiny.State(trainer));

        trainer.TrainSteps(1);
        Tiny.State(trainer)["encoder.conv1.weight"].Should().NotEqual(before["encoder.conv1.weight"], "the next finite step is applied");
        trainer.Guard.ConsecutiveSkips.Should().Be(0);
    }

    [Fact]
    public void Too_many_skipped_steps_in_a_row_stop_the_run_with_a_clear_error()
    {
        var data = Tiny.RandomImages(32);
        using var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(10) with { MaxConsecutiveSkippedSteps = 3 }, data);
        trainer.Guard.InjectNonFinite = (call, _) => call >= 2;

        var act = () => trainer.Train();

        act.Should().Throw<TrainingDivergedException>()
            .WithMessage("*3 steps in a row were not finite*method 'vicreg'*MaxConsecutiveSkippedSteps*");
        trainer.SkippedSteps.Should().Be(3);
        trainer.Step.Should().Be(4, "two skipped steps were counted before the third stopped the run");
    }

    [Fact]
    public void Skips_that_are_not_in_a_row_do_not_stop_the_run()
    {
        var data = Tiny.RandomImages(32);
        using var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(8) with { MaxConsecutiveSkippedSteps = 2 }, data);
        trainer.Guard.InjectNonFinite = (call, _) => call % 2 == 1;

        trainer.Train().Should().BeTrue();

        trainer.SkippedSteps.Should().Be(4);
    }

    [Fact]
    public void The_counts_reach_progress_reports_the_metrics_log_provenance_and_the_checkpoint()
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(32);
        var checkpoint = dir.File("run.ckpt");
        var options = Tiny.Options(6) with { CheckpointPath = checkpoint };
        var reports = new List<TrainingProgress>();
        using (var cts = new CancellationTokenSource())
        using (var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, options, data))
        using (var log = new MetricsLog(dir.File("metrics.jsonl")))
        {
            trainer.Guard.InjectNonFinite = (call, attempt) => call == 1 && attempt == 0 || call == 2;
            var progress = new SynchronousProgress<TrainingProgress>(p =>
            {
                reports.Add(p);
                if (p.Step == 4)
                    cts.Cancel();
            });
            trainer.Train(progress, log, cts.Token).Should().BeFalse();
            trainer.Provenance("tiny")["recomputed_steps"].Should().Be("1");
            trainer.Provenance("tiny")["skipped_steps"].Should().Be("1");
            trainer.Provenance("tiny")["cpu_isa"].Should().NotBeNullOrEmpty();
        }
        reports.Should().NotContain(p => p.Step == 3, "the skipped step reports no losses");
        reports[^1].RecomputedSteps.Should().Be(1);
        reports[^1].SkippedSteps.Should().Be(1);
        reports[^1].GuardSummary.Should().Be("non-finite steps: 1 recomputed, 1 skipped");
        var lastLine = File.ReadLines(dir.File("metrics.jsonl")).Last();
        lastLine.Should().Contain("\"recomputed_steps\":1").And.Contain("\"skipped_steps\":1");

        using var resumed = Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, options, data, checkpoint);
        resumed.Step.Should().Be(4);
        resumed.RecomputedSteps.Should().Be(1);
        resumed.SkippedSteps.Should().Be(1);
    }

    [Fact]
    public void A_non_finite_loss_is_recomputed_and_a_batch_norm_model_keeps_its_statistics_when_skipped()
    {
        torch.manual_seed(1);
        using var model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1));
        model.train();
        using var optimizer = optim.SGD(model.parameters(), 0.1);
        using var guard = new FiniteStepGuard(model.parameters(), model, maxConsecutiveSkips: 5);
        using var x = torch.randn(16, 4);
        var calls = 0;
        var statistics = model.state_dict().Where(kv => kv.Key.Contains("running", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value.data<float>().ToArray());

        using (NewDisposeScope())
        {
            // Every forward returns NaN: both passes fail, so the step is skipped.
            guard.Step(optimizer, () => { calls++; return model.call(x).mean() * float.NaN; }, clipNorm: 1.0, () => "test").Should().Be(GuardedStepOutcome.Skipped);
        }
        calls.Should().Be(2, "the step is recomputed once before it is skipped");
        foreach (var (name, values) in statistics)
            model.state_dict()[name].data<float>().ToArray().Should().Equal(values, $"{name} is restored after the discarded passes");

        using (NewDisposeScope())
        {
            var first = true;
            guard.Step(optimizer, () => { var loss = model.call(x).mean(); if (first) { first = false; return loss * float.PositiveInfinity; } return loss; }, clipNorm: null, () => "test")
                .Should().Be(GuardedStepOutcome.Recomputed);
        }
        guard.Recomputed.Should().Be(1);
        guard.Skipped.Should().Be(1);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
