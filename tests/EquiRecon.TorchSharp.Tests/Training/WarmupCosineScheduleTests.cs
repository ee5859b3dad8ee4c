using EquiRecon.TorchSharp.Training;

namespace EquiRecon.TorchSharp.Tests.Training;

public sealed class WarmupCosineScheduleTests
{
    [Fact]
    public void Warms_up_linearly_then_decays_by_half_cosine_to_the_floor()
    {
        var s = new WarmupCosineSchedule(peak: 1.0, totalSteps: 110, warmupSteps: 10, minRatio: 0.1);
        s.At(0).Should().BeApproximately(0.1, 1e-12);
        s.At(4).Should().BeApproximately(0.5, 1e-12);
        s.At(9).Should().BeApproximately(1.0, 1e-12);
        s.At(10).Should().BeApproximately(1.0, 1e-12);
        s.At(60).Should().BeApproximately(0.1 + 0.9 * 0.5, 1e-12, "half way through the decay the cosine term is 1/2");
        s.At(110).Should().BeApproximately(0.1, 1e-12);
        Enumerable.Range(10, 100).Select(s.At).Should().BeInDescendingOrder();
    }

    [Fact]
    public void Without_warmup_starts_at_the_peak()
    {
        new WarmupCosineSchedule(2.0, 5, 0).At(0).Should().Be(2.0);
    }

    [Fact]
    public void Rejects_invalid_arguments()
    {
        FluentActions.Invoking(() => new WarmupCosineSchedule(0, 10, 1)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("peak");
        FluentActions.Invoking(() => new WarmupCosineSchedule(1, 10, 11)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("warmupSteps");
        FluentActions.Invoking(() => new WarmupCosineSchedule(1, 10, 1, 1.5)).Should().Throw<ArgumentOutOfRangeException>().WithParameterName("minRatio");
    }
}
