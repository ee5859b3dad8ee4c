using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Decoder;

/// <summary>Pieces shared by the attention blocks.</summary>
internal static class TransformerParts
{
    /// <summary>Checks a block's width, heads and MLP ratio; returns the MLP's hidden width.</summary>
    internal static int CheckShape(int width, int heads, double mlpRatio)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(heads, 1);
        if (width % heads != 0)
            throw new ArgumentException($"The width ({width}) must be divisible by the number of heads ({heads}).", nameof(heads));
        if (!double.IsFinite(mlpRatio) || mlpRatio <= 0)
            throw new ArgumentOutOfRangeException(nameof(mlpRatio), mlpRatio, "The MLP ratio must be a positive finite number.");
        var hidden = Math.Round(mlpRatio * width);
        if (hidden < 1 || hidden > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(mlpRatio), mlpRatio, $"The MLP's hidden width round(mlpRatio·width) = {hidden} must be between 1 and {int.MaxValue}.");
        return (int)hidden;
    }

    /// <summary>The transformer MLP <c>fc1 → GELU → fc2</c> (weights <c>fc1.weight</c>, <c>fc2.weight</c>, as timm).</summary>
    internal static Sequential Mlp(int width, int hidden) =>
        Sequential(("fc1", Linear(width, hidden)), ("act", GELU()), ("fc2", Linear(hidden, width)));

    /// <summary>Multi-head attention on batch-first tensors: queries <c>(B, Nq, E)</c>, keys and values <c>(B, Nk, E)</c> → <c>(B, Nq, E)</c>.</summary>
    internal static Tensor Attend(MultiheadAttention attention, Tensor query, Tensor keyValue)
    {
        // TorchSharp's MultiheadAttention works sequence-first: (N, B, E).
        var q = query.transpose(0, 1);
        var kv = ReferenceEquals(query, keyValue) ? q : keyValue.transpose(0, 1);
        var (output, _) = attention.call(q, kv, kv, key_padding_mask: null, need_weights: false, attn_mask: null);
        return output.transpose(0, 1);
    }

    /// <summary>
    /// Fills <paramref name="tensor"/> in place from a normal distribution (mean, std) truncated to [a, b], as PyTorch's
    /// <c>nn.init.trunc_normal_</c> (inverse-CDF sampling). TorchSharp 0.107's <c>init.trunc_normal_</c> swaps mean and
    /// std (with mean 0 it fills a constant), so it is not used.
    /// </summary>
    internal static Tensor TruncatedNormal_(Tensor tensor, double mean, double std, double a = -2.0, double b = 2.0, Generator? generator = null)
    {
        using var noGrad = no_grad();
        var lower = NormalCdf((a - mean) / std);
        var upper = NormalCdf((b - mean) / std);
        return tensor.uniform_(2 * lower - 1, 2 * upper - 1, generator)
            .erfinv_()
            .mul_(std * Math.Sqrt(2.0))
            .add_(mean)
            .clamp_(a, b);
    }

    private static double NormalCdf(double x)
    {
        using var t = tensor(x / Math.Sqrt(2.0), ScalarType.Float64);
        using var erf = t.erf();
        return (1.0 + erf.item<double>()) / 2.0;
    }

    /// <summary>Throws unless <paramref name="x"/> is <c>(B, N, width)</c> (and has <paramref name="batch"/> rows when given).</summary>
    internal static void CheckTokens(Tensor x, int width, string name, long? batch = null)
    {
        ArgumentNullException.ThrowIfNull(x, name);
        if (x.dim() != 3 || x.shape[2] != width || (batch.HasValue && x.shape[0] != batch.Value))
        {
            var b = batch.HasValue ? batch.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) : "B";
            throw new ArgumentException($"Expected tokens of shape ({b}, N, {width}), got [{string.Join(", ", x.shape)}].", name);
        }
    }
}
