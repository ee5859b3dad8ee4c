using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Heads;

/// <summary>
/// SIE's predictor: a hypernetwork turns transformation parameters <c>(B, P)</c> into one matrix per sample,
/// <c>W(p) = reshape(Linear(P → D·D)(p), (B, D, D))</c>, and predicts the other view's equivariant embedding
/// as <c>W(p) · e</c> for the embedding <c>e</c> <c>(B, D)</c>. Weights: <c>hypernet.weight</c> <c>(D·D, P)</c> and,
/// with a bias, <c>hypernet.bias</c> <c>(D·D)</c>, default Linear initialisation (uniform in ±1/√P); nothing makes
/// the initial prediction close to the identity.
/// <para>
/// Without the bias (<c>--bias-hypernet</c> off, SIE's default) <c>W</c> is linear in <c>p</c>: <c>W(0) = 0</c> and
/// <c>W(−p) = −W(p)</c>. SIE can afford that because its parameters are a quaternion, whose real part is near 1 for
/// small rotations and so acts as a constant input. Parameters that are zero-centred (differences, standardised)
/// need the bias, or "no change" predicts the zero vector.
/// </para>
/// </summary>
public sealed class HyperNetworkPredictor : Module<Tensor, Tensor, Tensor>
{
    private readonly Linear hypernet;

    /// <summary>Creates a predictor.</summary>
    /// <param name="embeddingDim">Embedding size <c>D</c>, at least 1 (SIE: 1024, the projector width).</param>
    /// <param name="parameterCount">Transformation parameters <c>P</c>, at least 1.</param>
    /// <param name="bias">Whether the hypernetwork has a bias (a matrix <c>W(0)</c> for "no change"); see the remarks above.</param>
    public HyperNetworkPredictor(int embeddingDim, int parameterCount, bool bias = true) : base(nameof(HyperNetworkPredictor))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(embeddingDim, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameterCount, 1);
        if ((long)embeddingDim * embeddingDim > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(embeddingDim), embeddingDim, "D·D must fit in an int.");
        EmbeddingDim = embeddingDim;
        ParameterCount = parameterCount;
        hypernet = Linear(parameterCount, (long)embeddingDim * embeddingDim, hasBias: bias);
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
