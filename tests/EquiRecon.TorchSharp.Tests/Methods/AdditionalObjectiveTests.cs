using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Methods;

/// <summary>A new objective plugs in as one file (its configuration and module) and a method is one <see cref="MethodConfig"/>.</summary>
public sealed class AdditionalObjectiveTests
{
    /// <summary>A toy objective: pulls both views' pooled representations together through a linear head.</summary>
    private sealed record AlignmentObjectiveConfig(int Width = 8, double Weight = 0.5) : IObjectiveConfig
    {
        public string ModuleName => "alignment";

        public bool RequiresLabels => false;

        public nn.Module<PairBatch, LossTerms> Create(ObjectiveContext context) => new AlignmentObjective(this, context);

        public IObjectiveConfig WithHeadSizes(HeadSizes sizes) => this with { Width = sizes.ProjectorWidth };
    }

    private sealed class AlignmentObjective : nn.Module<PairBatch, LossTerms>
    {
        private readonly Linear head;
        private readonly double _weight;

        public AlignmentObjective(AlignmentObjectiveConfig config, ObjectiveContext context) : base(nameof(AlignmentObjective))
        {
            head = nn.Linear(context.Split.Channels, config.Width);
            _weight = config.Weight;
            RegisterComponents();
        }

        public override LossTerms forward(PairBatch batch)
        {
            using var scope = NewDisposeScope();
            var loss = (head.call(batch.EncodedA.Pooled) - head.call(batch.EncodedB.Pooled)).pow(2).mean();
            return new LossTerms(loss * _weight, new Dictionary<string, Tensor> { ["alignment/mse"] = loss }).MoveToOuterDisposeScope();
        }
    }

    private static MethodConfig VicRegPlusAlignment => MethodRegistry.Get("vicreg") with
    {
        Name = "vicreg-alignment",
        AdditionalObjectives = [new AlignmentObjectiveConfig()],
    };

    [Fact]
    public void A_method_with_an_additional_objective_trains_its_module_and_reports_its_loss()
    {
        var method = VicRegPlusAlignment.WithHeadSizes(Tiny.Heads);
        ((AlignmentObjectiveConfig)method.AdditionalObjectives![0]).Width.Should().Be(Tiny.Heads.ProjectorWidth, "head sizes reach additional objectives");
        var data = Tiny.RandomImages(16);
        using var trainer = new Pretrainer(method, Tiny.Encoder, Tiny.Options(2), data);
        var before = trainer.Model.state_dict()["alignment.head.weight"].clone();
        var reports = new List<TrainingProgress>();

        trainer.Train(new SyncProgress(reports.Add)).Should().BeTrue();

        reports.Last().Losses.Should().ContainKey("alignment/mse").And.ContainKey("total");
        trainer.Model.state_dict()["alignment.head.weight"].equal(before).all().item<bool>().Should().BeFalse("the optimizer trains the added head");
        trainer.Model.named_children().Select(c => c.name).Should().ContainInOrder("encoder", "vicreg", "alignment");
    }

    [Fact]
    public void An_additional_objective_changes_the_method_hash_and_a_taken_module_name_is_refused()
    {
        CheckpointFingerprint.HashOf(VicRegPlusAlignment).Should().NotBe(CheckpointFingerprint.HashOf(VicRegPlusAlignment with { AdditionalObjectives = [new AlignmentObjectiveConfig(Width: 9)] }));
        var taken = MethodRegistry.Get("vicreg") with { AdditionalObjectives = [new AlignmentObjectiveConfig(), new AlignmentObjectiveConfig()] };
        taken.Invoking(m => m.Validate()).Should().Throw<ArgumentException>().WithMessage("*'alignment'*taken*");
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
