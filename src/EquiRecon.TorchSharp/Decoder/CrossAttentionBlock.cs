using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Decoder;

/// <summary>
/// A pre-norm cross-attention block: queries <c>q</c> <c>(B, Nq, E)</c> attend to a context <c>c</c> <c>(B, Nk, E)</c>,
/// <c>q + MHA(LN_q(q), LN_kv(c), LN_kv(c))</c>, then <c>+ MLP(LN(·))</c> with a GELU MLP of hidden width
/// <c>round(mlpRatio·E)</c>. Weights: <c>norm_q.*</c>, <c>norm_kv.*</c>, <c>attn.in_proj_weight</c>,
/// <c>attn.in_proj_bias</c>, <c>attn.out_proj.*</c>, <c>norm2.*</c>, <c>mlp.fc1.*</c>, <c>mlp.fc2.*</c>.
/// </summary>
#pragma warning disable IDE1006 // field names are weight names
public sealed class CrossAttentionBlock : Module<Tensor, Tensor, Tensor>
{
    private readonly LayerNorm norm_q;
    private readonly LayerNorm norm_kv;
    private readonly MultiheadAttention attn;
    private readonly LayerNorm norm2;
    private readonly Sequential mlp;

    /// <summary>Creates a block.</summary>
    /// <param name="width">Token width <c>E</c> of queries and context, at least 1 and divisible by <paramref name="heads"/>.</param>
    /// <param name="heads">Attention heads, at least 1.</param>
    /// <param name="mlpRatio">MLP hidden width over <c>E</c>; default 4.</param>
    /// <exception cref="ArgumentException">A size is invalid.</exception>
    public CrossAttentionBlock(int width, int heads, double mlpRatio = 4.0) : base(nameof(CrossAttentionBlock))
    {
        var hidden = TransformerParts.CheckShape(width, heads, mlpRatio);
        Width = width;
        Heads = heads;
        norm_q = LayerNorm(width);
        norm_kv = LayerNorm(width);
        attn = MultiheadAttention(width, heads);
        norm2 = LayerNorm(width);
        mlp = TransformerParts.Mlp(width, hidden);
        RegisterComponents();
    }

    /// <summary>Token width <c>E</c>.</summary>
    public int Width { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Applies the block.</summary>
    /// <param name="queries">Query tokens <c>(B, Nq, E)</c>.</param>
    /// <param name="context">Context tokens <c>(B, Nk, E)</c>, the same batch size.</param>
    /// <returns>Updated queries <c>(B, Nq, E)</c>.</returns>
    /// <exception cref="ArgumentException">A shape differs from the expected one.</exception>
    public override Tensor forward(Tensor queries, Tensor context)
    {
        TransformerParts.CheckTokens(queries, Width, nameof(queries));
        TransformerParts.CheckTokens(context, Width, nameof(context), queries.shape[0]);
        using var scope = NewDisposeScope();
        var x = queries + TransformerParts.Attend(attn, norm_q.call(queries), norm_kv.call(context));
        var result = x + mlp.call(norm2.call(x));
        return result.MoveToOuterDisposeScope();
    }
}
