using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Decoder;

/// <summary>
/// A pre-norm transformer block on tokens <c>(B, N, E)</c>: <c>x + MHA(LN(x))</c>, then <c>x + MLP(LN(x))</c> with a
/// GELU MLP of hidden width <c>round(mlpRatio·E)</c>. No positions: it is equivariant to permutations of the tokens.
/// Weights: <c>norm1.*</c>, <c>attn.in_proj_weight</c>, <c>attn.in_proj_bias</c>, <c>attn.out_proj.*</c>, <c>norm2.*</c>,
/// <c>mlp.fc1.*</c>, <c>mlp.fc2.*</c>.
/// </summary>
public sealed class SelfAttentionBlock : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly MultiheadAttention attn;
    private readonly LayerNorm norm2;
    private readonly Sequential mlp;

    /// <summary>Creates a block.</summary>
    /// <param name="width">Token width <c>E</c>, at least 1 and divisible by <paramref name="heads"/>.</param>
    /// <param name="heads">Attention heads, at least 1.</param>
    /// <param name="mlpRatio">MLP hidden width over <c>E</c>; default 4.</param>
    /// <exception cref="ArgumentException">A size is invalid.</exception>
    public SelfAttentionBlock(int width, int heads, double mlpRatio = 4.0) : base(nameof(SelfAttentionBlock))
    {
        var hidden = TransformerParts.CheckShape(width, heads, mlpRatio);
        Width = width;
        Heads = heads;
        norm1 = LayerNorm(width);
        attn = MultiheadAttention(width, heads);
        norm2 = LayerNorm(width);
        mlp = TransformerParts.Mlp(width, hidden);
        RegisterComponents();
    }

    /// <summary>Token width <c>E</c>.</summary>
    public int Width { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Applies the block: <c>(B, N, E)</c> → <c>(B, N, E)</c>.</summary>
    /// <exception cref="ArgumentException">The input is not <c>(B, N, E)</c>.</exception>
    public override Tensor forward(Tensor input)
    {
        TransformerParts.CheckTokens(input, Width, nameof(input));
        using var scope = NewDisposeScope();
        var h = norm1.call(input);
        var x = input + TransformerParts.Attend(attn, h, h);
        var result = x + mlp.call(norm2.call(x));
        return result.MoveToOuterDisposeScope();
    }
}
