using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Decoder;

/// <summary>
/// The reconstruction decoder: query tokens <c>(B, N, Cq)</c> and context tokens <c>(B, N, Ck)</c> are projected to
/// width <c>E</c> and given learned positions; the queries attend to the context in one
/// <see cref="CrossAttentionBlock"/>, then pass <c>L</c> <see cref="SelfAttentionBlock"/>s and a layer norm, and a
/// linear pixel head turns each token into one patch: <c>(B, N, patch²·3)</c>, patches row-major as
/// <see cref="Patches.Patchify"/> cuts them (tokens and patches correspond one to one, so <c>N = (ImageSize / Patch)²</c>).
/// Weights: <c>query_pos</c>, <c>context_pos</c> <c>(1, N, E)</c> (truncated normal, std 0.02), <c>query_proj.*</c>,
/// <c>context_proj.*</c>, <c>cross.*</c>, <c>blocks.{i}.*</c>, <c>norm.*</c>, <c>pixel_head.*</c>; Linear and LayerNorm
/// layers keep TorchSharp's default initialisation.
/// </summary>
#pragma warning disable IDE1006 // field names are weight names
public sealed class ReconstructionDecoder : Module<Tensor, Tensor, Tensor>
{
    private readonly Parameter query_pos;
    private readonly Parameter context_pos;
    private readonly Linear query_proj;
    private readonly Linear context_proj;
    private readonly CrossAttentionBlock cross;
    private readonly ModuleList<SelfAttentionBlock> blocks;
    private readonly LayerNorm norm;
    private readonly Linear pixel_head;

    /// <summary>Creates a decoder.</summary>
    /// <param name="queryChannels">Channels <c>Cq</c> of the query tokens (e.g. the equivariant part), at least 1.</param>
    /// <param name="contextChannels">Channels <c>Ck</c> of the context tokens, at least 1.</param>
    /// <param name="tokens">Tokens per image <c>N</c> (the encoder's token grid, e.g. 16 for 4×4); must equal <c>(ImageSize / Patch)²</c>.</param>
    /// <param name="options">The decoder's shape; see <see cref="ReconstructionDecoderOptions"/>.</param>
    /// <exception cref="ArgumentException">A size is invalid, or the token count differs from the number of patches.</exception>
    public ReconstructionDecoder(int queryChannels, int contextChannels, int tokens, ReconstructionDecoderOptions options)
        : base(nameof(ReconstructionDecoder))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queryChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (tokens != options.Tokens)
            throw new ArgumentException(
                $"Tokens and patches must correspond one to one: got {tokens} tokens, but a {options.ImageSize}×{options.ImageSize} image cut into {options.Patch}×{options.Patch} patches has {options.Tokens} ({options.GridSize}×{options.GridSize}); choose Patch = ImageSize / token-grid side.",
                nameof(tokens));
        QueryChannels = queryChannels;
        ContextChannels = contextChannels;
        Tokens = tokens;
        Options = options;
        var width = options.Width;
        query_pos = new Parameter(empty(1, tokens, width));
        context_pos = new Parameter(empty(1, tokens, width));
        TransformerParts.TruncatedNormal_(query_pos, mean: 0, std: 0.02);
        TransformerParts.TruncatedNormal_(context_pos, mean: 0, std: 0.02);
        query_proj = Linear(queryChannels, width);
        context_proj = Linear(contextChannels, width);
        cross = new CrossAttentionBlock(width, options.Heads, options.MlpRatio);
        blocks = new ModuleList<SelfAttentionBlock>();
        for (var i = 0; i < options.Depth; i++)
            blocks.Add(new SelfAttentionBlock(width, options.Heads, options.MlpRatio));
        norm = LayerNorm(width);
        pixel_head = Linear(width, options.PatchDim);
        RegisterComponents();
    }

    /// <summary>Channels <c>Cq</c> of the query tokens.</summary>
    public int QueryChannels { get; }

    /// <summary>Channels <c>Ck</c> of the context tokens.</summary>
    public int ContextChannels { get; }

    /// <summary>Tokens per image <c>N</c>, equal to the number of patches.</summary>
    public int Tokens { get; }

    /// <summary>The decoder's shape.</summary>
    public ReconstructionDecoderOptions Options { get; }

    /// <summary>Predicts the patches of one image from two token sets.</summary>
    /// <param name="queryTokens">Query tokens <c>(B, N, Cq)</c>; token <c>i</c> predicts patch <c>i</c>.</param>
    /// <param name="contextTokens">Context tokens <c>(B, N, Ck)</c> the queries attend to.</param>
    /// <returns>Predicted patches <c>(B, N, patch²·C)</c>; <see cref="Patches.Unpatchify"/> turns them into images.</returns>
    /// <exception cref="ArgumentException">A shape differs from the expected one.</exception>
    public override Tensor forward(Tensor queryTokens, Tensor contextTokens)
    {
        ArgumentNullException.ThrowIfNull(queryTokens);
        ArgumentNullException.ThrowIfNull(contextTokens);
        if (queryTokens.dim() != 3 || queryTokens.shape[1] != Tokens || queryTokens.shape[2] != QueryChannels)
            throw new ArgumentException($"Expected query tokens of shape (B, {Tokens}, {QueryChannels}), got [{string.Join(", ", queryTokens.shape)}].", nameof(queryTokens));
        if (contextTokens.dim() != 3 || contextTokens.shape[0] != queryTokens.shape[0] || contextTokens.shape[1] != Tokens || contextTokens.shape[2] != ContextChannels)
            throw new ArgumentException($"Expected context tokens of shape ({queryTokens.shape[0]}, {Tokens}, {ContextChannels}), got [{string.Join(", ", contextTokens.shape)}].", nameof(contextTokens));
        using var scope = NewDisposeScope();
        var queries = query_proj.call(queryTokens) + query_pos;
        var context = context_proj.call(contextTokens) + context_pos;
        var x = cross.call(queries, context);
        foreach (var block in blocks)
            x = block.call(x);
        var patches = pixel_head.call(norm.call(x));
        return patches.MoveToOuterDisposeScope();
    }
}
