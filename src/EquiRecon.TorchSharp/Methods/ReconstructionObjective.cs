using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// Which tokens the reconstruction decoder uses. The target is always view B.
/// </summary>
public enum ReconstructionPairing
{
    /// <summary>
    /// Default (the seed's): queries are view B's equivariant tokens, keys/values view A's
    /// invariant tokens. Content comes from A's invariant part; everything that distinguishes B
    /// from A (its transformation) must therefore be carried by B's equivariant channels, which is
    /// exactly the pressure that makes them equivariant.
    /// </summary>
    EquivariantBQueriesInvariantA,
    /// <summary>Queries: view B's equivariant tokens; keys/values: all of view A's tokens.</summary>
    EquivariantBQueriesAllA,
    /// <summary>Queries: all of view B's tokens; keys/values: all of view A's tokens (an ablation: no split pressure).</summary>
    AllBQueriesAllA,
}

/// <summary>The auxiliary reconstruction objective of the seed paper.</summary>
/// <param name="Weight">λ, the multiplier of the reconstruction MSE (paper: 1; above 5 was unstable).</param>
/// <param name="Pairing">Which tokens feed the decoder; see <see cref="ReconstructionPairing"/>.</param>
/// <param name="Decoder">Decoder width, heads and depth L; null means the defaults. Patch and image size are set from the encoder.</param>
/// <param name="PerPatchNormalization">Normalize each target patch by its own mean and variance (MAE-style) instead of using the normalized image as it is.</param>
public sealed record ReconstructionObjectiveConfig(
    double Weight = 1.0,
    ReconstructionPairing Pairing = ReconstructionPairing.EquivariantBQueriesInvariantA,
    ReconstructionDecoderOptions? Decoder = null,
    bool PerPatchNormalization = false);

/// <summary>Cross-attention reconstruction of view B from the two views' tokens; MSE on normalized pixels.</summary>
public sealed class ReconstructionObjective : nn.Module<PairBatch, LossTerms>
{
    private readonly ReconstructionDecoder decoder;
    private readonly ReconstructionObjectiveConfig _config;
    private readonly int _patch;

    /// <summary>Builds the decoder for <paramref name="context"/>: one token per patch of side ImageSize / TokenGrid.</summary>
    public ReconstructionObjective(ReconstructionObjectiveConfig config, ObjectiveContext context) : base(nameof(ReconstructionObjective))
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegative(config.Weight);
        if (context.ImageSize % context.TokenGrid != 0)
            throw new ArgumentException($"Image size {context.ImageSize} is not a multiple of the token grid {context.TokenGrid}.", nameof(context));
        _config = config;
        _patch = context.ImageSize / context.TokenGrid;
        var options = (config.Decoder ?? new ReconstructionDecoderOptions()) with { Patch = _patch, ImageSize = context.ImageSize };
        var split = context.Split;
        var (queryChannels, contextChannels) = config.Pairing switch
        {
            ReconstructionPairing.EquivariantBQueriesInvariantA => (split.EquivariantChannels, split.InvariantChannels),
            ReconstructionPairing.EquivariantBQueriesAllA => (split.EquivariantChannels, split.Channels),
            ReconstructionPairing.AllBQueriesAllA => (split.Channels, split.Channels),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Pairing, "Unknown pairing."),
        };
        decoder = new ReconstructionDecoder(queryChannels, contextChannels, context.TokenGrid * context.TokenGrid, options);
        RegisterComponents();
    }

    /// <summary>Predicted patches of view B, <c>(B, N, patch²·3)</c>.</summary>
    public Tensor Reconstruct(PairBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var split = batch.Split;
        var (queries, context) = _config.Pairing switch
        {
            ReconstructionPairing.EquivariantBQueriesInvariantA => (split.Equivariant(batch.EncodedB.Tokens), split.Invariant(batch.EncodedA.Tokens)),
            ReconstructionPairing.EquivariantBQueriesAllA => (split.Equivariant(batch.EncodedB.Tokens), batch.EncodedA.Tokens),
            _ => (batch.EncodedB.Tokens, batch.EncodedA.Tokens),
        };
        return decoder.call(queries, context).MoveToOuterDisposeScope();
    }

    /// <summary>The reconstruction target: view B's normalized pixels as patches <c>(B, N, patch²·3)</c>.</summary>
    public Tensor Target(PairBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var scope = NewDisposeScope();
        var target = Patches.Patchify(batch.ViewB, _patch);
        if (_config.PerPatchNormalization)
            target = ReconstructionLoss.NormalizePatches(target);
        return target.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public override LossTerms forward(PairBatch batch)
    {
        using var scope = NewDisposeScope();
        var mse = ReconstructionLoss.Mse(Reconstruct(batch), Target(batch));
        var result = new LossTerms(mse * _config.Weight, new Dictionary<string, Tensor> { ["reconstruction/mse"] = mse });
        return result.MoveToOuterDisposeScope();
    }
}
