using EquiRecon.TorchSharp.Losses;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Losses;

public sealed class SupervisedLossTests
{
    public SupervisedLossTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void Cross_entropy_of_uniform_logits_is_log_k()
    {
        using var scope = NewDisposeScope();
        var loss = SupervisedLoss.CrossEntropy(zeros(3, 4), tensor(new long[] { 0, 1, 3 }));
        loss.item<float>().Should().BeApproximately((float)Math.Log(4), 1e-6f);
    }

    [Fact]
    public void Label_shape_mismatch_is_named()
    {
        using var scope = NewDisposeScope();
        var act = () => SupervisedLoss.CrossEntropy(zeros(3, 4), tensor(new long[] { 0, 1 }));
        act.Should().Throw<ArgumentException>().WithMessage("*(3)*[3, 4]*[2]*");
    }
}
