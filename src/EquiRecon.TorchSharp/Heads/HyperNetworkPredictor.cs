using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Heads;

/// <summary>
/// SIE's predictor: a hypernetwork turns transformation parameters <c>(B, P)</c> into one matrix per sample,
/// <c>W(p) = reshape(Linear_noBias(P → D·D)(p), (B, D, D))</c>, and predicts the other view's equivariant embedding
/// as <c>W(p) · e</c> for the embedding <c>e</c> <c>(B, D)</c>. Weight: <c>hypernet.weight</c> <c>(D·D, P)</c>,
/// default Linear initialisation (uniform in ±1/√P); nothing makes the initial prediction close to the identity.
/// </summary>
public sealed class HyperNetworkPredictor : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear hypernet;

    /// <summary>Creates a predictor.</summary>
    /// <param name="embeddingDim">Embedding size <c>D</c>, at least 1 (SIE: 1024, the projector width).</param>
    /// <param name="parameterCount">Transformation parameters <c>P</c>, at least 1.</param>
    public HyperNetworkPredictor(int embeddingDim, int parameterCount) : base(nameof(HyperNetworkPredictor))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        if ((long)embeddingDim * embeddingDim > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, "D·D must fit in an int.");
        EmbeddingDim = embeddingDim;
        ParameterCount = parameterCount;
        hypernet = Linear(parameterCount, (long)embeddingDim * embeddingDim, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Embedding size <c>D</c>.</summary>
    public int EmbeddingDim { get; }

    /// <summary>Transformation parameters <c>P</c>.</summary>
    public int ParameterCount { get; }

    /// <summary>Predicts <c>W(p) · e</c>.</summary>
    /// <param name="embedding">Embeddings <c>e</c>, <c>(B, D)</c>.</param>
    /// <param name="transformParams">Transformation parameters <c>p</c>, <c>(B, P)</c>.</param>
    /// <returns>Predictions <c>(B, D)</c>.</returns>
    /// <exception cref="ArgumentException">A shape differs from the expected one.</exception>
    public override Tensor forward(Tensor embedding, Tensor transformParams)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        ArgumentNullException.ThrowIfNull(transformParams);
        if (embedding.dim() != 2 || embedding.shape[1] != EmbeddingDim)
            throw new ArgumentException($"Expected embeddings of shape (B, {EmbeddingDim}), got [{string.Join(", ", embedding.shape)}].", nameof(embedding));
        if (transformParams.dim() != 2 || transformParams.shape[1] != ParameterCount || transformParams.shape[0] != embedding.shape[0])
            throw new ArgumentException($"Expected transformation parameters of shape ({embedding.shape[0]}, {ParameterCount}) to match embeddings [{string.Join(", ", embedding.shape)}], got [{string.Join(", ", transformParams.shape)}].", nameof(transformParams));
        using var scope = NewDisposeScope();
        var weights = hypernet.call(transformParams).view(-1, EmbeddingDim, EmbeddingDim);
        var prediction = bmm(weights, embedding.unsqueeze(-1)).squeeze(-1);
        return prediction.MoveToOuterDisposeScope();
    }
}
