using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Methods;

public sealed class ReconstructionObjectiveTests
{
    private static readonly RepresentationSplit Split = new(8, 8);

    private static (PairBatch Batch, Tensor TokensA, Tensor TokensB) Leaves(int batch = 4)
    {
        TorchNative.EnsureLoaded();
        manual_seed(11);
        var tokensA = randn(batch, 4, 16).requires_grad_(true);
        var tokensB = randn(batch, 4, 16).requires_grad_(true);
        var viewA = randn(batch, 3, 16, 16);
        var viewB = randn(batch, 3, 16, 16);
        var aug = new AugmentedBatch(viewA.clone(), [], []);
        var pair = new PairBatch(viewA, viewB, new EncoderOutput(tokensA, tokensA.mean([1])), new EncoderOutput(tokensB, tokensB.mean([1])), aug, aug, Split, null);
        return (pair, tokensA, tokensB);
    }

    private static ReconstructionObjective Objective(ReconstructionPairing pairing) =>
        new(new ReconstructionObjectiveConfig(Pairing: pairing, Decoder: Tiny.Heads.Decoder), new ObjectiveContext(Split, ImageSize: 16, TokenGrid: 2, Classes: 0));

    [Fact]
    public void Default_pairing_reaches_B_equivariant_and_A_invariant_channels_only()
    {
        var (pair, tokensA, tokensB) = Leaves();
        using var objective = Objective(ReconstructionPairing.EquivariantBQueriesInvariantA);
        var loss = objective.call(pair).Total;
        var grads = autograd.grad([loss], [tokensA, tokensB]);

        Split.Equivariant(grads[1]).abs().sum().item<float>().Should().BeGreaterThan(0, "queries are B's equivariant tokens");
        Split.Invariant(grads[1]).abs().sum().item<float>().Should().Be(0, "B's invariant tokens are not used");
        Split.Invariant(grads[0]).abs().sum().item<float>().Should().BeGreaterThan(0, "keys/values are A's invariant tokens");
        Split.Equivariant(grads[0]).abs().sum().item<float>().Should().Be(0, "A's equivariant tokens are not used");
    }

    [Fact]
    public void Every_decoder_parameter_gets_a_gradient()
    {
        var (pair, _, _) = Leaves();
        using var objective = Objective(ReconstructionPairing.EquivariantBQueriesInvariantA);
        objective.call(pair).Total.backward();
        objective.named_parameters().Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0).Select(p => p.name).Should().BeEmpty();
    }

    [Fact]
    public void Target_is_view_B_as_patches_and_prediction_matches_its_shape()
    {
        var (pair, _, _) = Leaves();
        using var objective = Objective(ReconstructionPairing.AllBQueriesAllA);
        var target = objective.Target(pair);
        target.shape.Should().Equal(4, 4, 8 * 8 * 3);
        objective.Reconstruct(pair).shape.Should().Equal(target.shape);
        EquiRecon.TorchSharp.Decoder.Patches.Unpatchify(target, 8, 16, 16).allclose(pair.ViewB).Should().BeTrue();
    }

    [Fact]
    public void Weight_scales_the_total_but_not_the_reported_mse()
    {
        var (pair, _, _) = Leaves();
        manual_seed(1);
        using var one = new ReconstructionObjective(new ReconstructionObjectiveConfig(Weight: 1, Decoder: Tiny.Heads.Decoder), new ObjectiveContext(Split, 16, 2, 0));
        manual_seed(1);
        using var three = new ReconstructionObjective(new ReconstructionObjectiveConfig(Weight: 3, Decoder: Tiny.Heads.Decoder), new ObjectiveContext(Split, 16, 2, 0));
        var a = one.call(pair);
        var b = three.call(pair);
        b.Terms["reconstruction/mse"].item<float>().Should().BeApproximately(a.Terms["reconstruction/mse"].item<float>(), 1e-6f);
        b.Total.item<float>().Should().BeApproximately(3 * a.Total.item<float>(), 1e-4f);
    }
}
