namespace EquiRecon.Cli.Tests;

public sealed class BudgetTests
{
    public static TheoryData<string> Names() => [.. Budgets.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_budget_validates_and_describes_itself(string name)
    {
        var budget = Budgets.Get(name);
        budget.Validate();
        var fields = budget.Describe().Select(d => d.Field).ToArray();
        fields.Should().Contain(["encoder", "steps per row", "batch size", "learning rate", "heads", "probe pairs", "regression probe", "classification"]);
    }

    [Fact]
    public void Budgets_are_ordered_from_smoke_to_full()
    {
        Budgets.Names.Should().Equal("smoke", "small", "full");
        Budgets.Smoke.Encoder.Widths.Should().Equal(8, 16, 32, 64);
        Budgets.Small.EncoderName.Should().Be("small-cifar-resnet");
        Budgets.Full.EncoderName.Should().Be("cifar-resnet18");
        Budgets.Full.Device.Should().Be("cuda");
        Budgets.Full.BatchSize.Should().Be(256);
        ((double)Budgets.Full.Steps * Budgets.Full.BatchSize / Budgets.Full.TrainImages).Should().BeGreaterThan(100, "the full budget trains for hundreds of epochs");
    }

    [Fact]
    public void Unknown_budget_names_the_option()
    {
        var act = () => Budgets.Get("medium");
        act.Should().Throw<CliException>().WithMessage("*--budget*medium*smoke*");
    }

    [Fact]
    public void Validation_names_the_bad_field()
    {
        var act = () => (Budgets.Smoke with { ClassifierTrainImages = Budgets.Smoke.TrainImages + 1 }).Validate();
        act.Should().Throw<ArgumentException>().WithMessage("*ClassifierTrainImages*");
    }

    [Fact]
    public void Small_is_one_epoch_of_cifar10_with_the_papers_probes()
    {
        var small = Budgets.Small;
        small.TrainImages.Should().Be(50_000);
        small.BatchSize.Should().Be(256);
        small.Steps.Should().Be(50_000 / 256);
        small.ProbeHidden.Should().Be(1024);
        small.ProbeTrainPairs.Should().BeGreaterThanOrEqualTo(8000);
        small.ProbeTestPairs.Should().BeGreaterThanOrEqualTo(2000);
        small.RegressionProbe(seed: 0).CosineSchedule.Should().BeTrue();
    }
}
