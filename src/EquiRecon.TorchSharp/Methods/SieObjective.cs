using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Heads;
using EquiRecon.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>SIE (Garrido et al.): invariant and equivariant projectors and a hypernetwork predictor conditioned on the relative transformation.</summary>
/// <param name="Conditioning">The transformations whose relative parameters (view B relative to view A) condition the predictor, in this order.</param>
/// <param name="ProjectorWidth">Width of both 3-layer projectors (SIE: 1024).</param>
/// <param name="Loss">Coefficients; null means SIE's sim = std = 10, cov = 1, equivariant similarity 0.45.</param>
/// <param name="Weight">Multiplier of this objective in the total loss.</param>
/// <param name="HypernetBias">
/// Whether the predictor's hypernetwork has a bias (SIE's <c>--bias-hypernet</c>). On by default: the relative
/// parameters here are zero-centred (differences, standardised), so without it the predicted matrix is 0 for "no
/// change" and odd in the parameters; SIE's own parameters, a quaternion, carry a near-constant real part instead.
/// </param>
public sealed record SieObjectiveConfig(
    IReadOnlyList<TransformKind> Conditioning,
    int ProjectorWidth = 1024,
    SieLossOptions? Loss = null,
    double Weight = 1.0,
    bool HypernetBias = true);

/// <summary>The SIE objective.</summary>
public sealed class SieObjective : nn.Module<PairBatch, LossTerms>
{
    private readonly MlpHead inv_projector;
    private readonly MlpHead eqv_projector;
    private readonly HyperNetworkPredictor predictor;
    private readonly global::TorchSharp.Modules.BatchNorm1d parameter_norm;
    private readonly SieObjectiveConfig _config;
    private readonly SieLossOptions _loss;

    /// <summary>Builds projectors and predictor for <paramref name="context"/>.</summary>
    public SieObjective(SieObjectiveConfig config, ObjectiveContext context) : base(nameof(SieObjective))
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        if (config.Conditioning is null || config.Conditioning.Count == 0)
            throw new ArgumentException("SIE needs at least one transformation to condition its predictor on.", nameof(config));
        _config = config;
        _loss = config.Loss ?? new SieLossOptions();
        inv_projector = Projectors.SieProjector(context.Split.InvariantChannels, config.ProjectorWidth);
        eqv_projector = Projectors.SieProjector(context.Split.EquivariantChannels, config.ProjectorWidth);
        var parameterCount = config.Conditioning.Sum(AugmentedBatch.RelativeParameterCount);
        predictor = new HyperNetworkPredictor(config.ProjectorWidth, parameterCount, config.HypernetBias);
        // The relative parameters come in their own units (degrees, pixels, colour offsets, 0/1): standardize
        // them (no affine part) so that the hypernetwork sees every transformation on the same scale.
        parameter_norm = nn.BatchNorm1d(parameterCount, affine: false);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override LossTerms forward(PairBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var split = batch.Split;
        var invA = inv_projector.call(split.Invariant(batch.EncodedA.Pooled));
        var invB = inv_projector.call(split.Invariant(batch.EncodedB.Pooled));
        var eqvA = eqv_projector.call(split.Equivariant(batch.EncodedA.Pooled));
        var eqvB = eqv_projector.call(split.Equivariant(batch.EncodedB.Pooled));
        var relative = cat(_config.Conditioning.Select(k => AugmentedBatch.RelativeParameters(batch.AugmentedA, batch.AugmentedB, k)).ToArray(), 1);
        var predictedB = predictor.call(eqvA, parameter_norm.call(relative));
        var terms = SieLoss.Compute(invA, invB, eqvA, eqvB, predictedB, _loss);
        var result = new LossTerms(terms.Total * _config.Weight, new Dictionary<string, Tensor>
        {
            ["sie/invariant_similarity"] = terms.InvariantSimilarity,
            ["sie/equivariant_similarity"] = terms.EquivariantSimilarity,
            ["sie/variance"] = terms.Variance,
            ["sie/prediction_variance"] = terms.PredictionVariance,
            ["sie/covariance"] = terms.Covariance,
        });
        return result.MoveToOuterDisposeScope();
    }
}
