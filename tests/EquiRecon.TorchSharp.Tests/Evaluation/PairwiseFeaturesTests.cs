using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Evaluation;

public sealed class PairwiseFeaturesTests
{
    public PairwiseFeaturesTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void Concat_puts_x_then_gx()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[,] { { 1, 2 }, { 3, 4 } });
        var gx = tensor(new float[,] { { 5, 6 }, { 7, 8 } });
        var pair = PairwiseFeatures.Concat(x, gx);
        pair.shape.Should().Equal(2, 4);
        pair[1].data<float>().ToArray().Should().Equal(3, 4, 7, 8);
    }

    [Theory]
    [InlineData(RepresentationPart.Invariant, new float[] { 0, 1, 6, 7 })]
    [InlineData(RepresentationPart.Equivariant, new float[] { 2, 3, 4, 8, 9, 10 })]
    [InlineData(RepresentationPart.All, new float[] { 0, 1, 2, 3, 4, 6, 7, 8, 9, 10 })]
    public void Concat_selects_the_chosen_part(RepresentationPart part, float[] expected)
    {
        using var scope = NewDisposeScope();
        var split = new RepresentationSplit(2, 3);
        var x = arange(5, dtype: ScalarType.Float32).unsqueeze(0);
        var pair = PairwiseFeatures.Concat(x, x + 6, split, part);
        pair[0].data<float>().ToArray().Should().Equal(expected);
    }

    [Fact]
    public void Mismatched_shapes_are_named()
    {
        using var scope = NewDisposeScope();
        var act = () => PairwiseFeatures.Concat(zeros(2, 3), zeros(3, 3));
        act.Should().Throw<ArgumentException>().WithMessage("*[2, 3]*[3, 3]*");
    }
}
