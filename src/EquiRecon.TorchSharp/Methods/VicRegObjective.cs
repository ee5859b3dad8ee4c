using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Heads;
using EquiRecon.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>VICReg on an expander over one part of the pooled representation of both views.</summary>
/// <param name="Part">Which channels feed the expander: <c>Invariant</c> for equirecon and SIE-style splits, <c>All</c> for the VICReg baseline.</param>
/// <param name="ExpanderWidth">Width of the 3-layer expander (VICReg: 8192 on ImageNet; 2048 is usual for ResNet-18 on CIFAR).</param>
/// <param name="Loss">Coefficients; null means VICReg's 25 / 25 / 1.</param>
/// <param name="Weight">Multiplier of this objective in the total loss.</param>
public sealed record VicRegObjectiveConfig(
    RepresentationPart Part = RepresentationPart.Invariant,
    int ExpanderWidth = 2048,
    VicRegOptions? Loss = null,
    double Weight = 1.0);

/// <summary>The VICReg objective: expander + invariance / variance / covariance terms.</summary>
public sealed class VicRegObjective : nn.Module<PairBatch, LossTerms>
{
    private readonly MlpHead expander;
    private readonly VicRegObjectiveConfig _config;
    private readonly VicRegOptions _loss;

    /// <summary>Builds the expander for <paramref name="context"/>.</summary>
    public VicRegObjective(VicRegObjectiveConfig config, ObjectiveContext context) : base(nameof(VicRegObjective))
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(config.ExpanderWidth);
        _config = config;
        _loss = config.Loss ?? new VicRegOptions();
        expander = Projectors.VicRegExpander(context.Split.Channels(config.Part), config.ExpanderWidth);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override LossTerms forward(PairBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var za = expander.call(batch.Split.Select(_config.Part, batch.EncodedA.Pooled));
        var zb = expander.call(batch.Split.Select(_config.Part, batch.EncodedB.Pooled));
        var terms = VicRegLoss.Compute(za, zb, _loss);
        var result = new LossTerms(terms.Total * _config.Weight, new Dictionary<string, Tensor>
        {
            ["vicreg/invariance"] = terms.Invariance,
            ["vicreg/variance"] = terms.Variance,
            ["vicreg/covariance"] = terms.Covariance,
        });
        return result.MoveToOuterDisposeScope();
    }
}
