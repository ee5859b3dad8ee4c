using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>
/// Splits a representation by channel: the first <see cref="InvariantChannels"/> channels are the
/// invariant part, the remaining <see cref="EquivariantChannels"/> the equivariant part
/// (the paper: 512 = 256 + 256).
/// </summary>
public sealed record RepresentationSplit
{
    /// <summary>Creates a split; both parts must be positive.</summary>
    public RepresentationSplit(int invariantChannels, int equivariantChannels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(invariantChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(equivariantChannels, 1);
        InvariantChannels = invariantChannels;
        EquivariantChannels = equivariantChannels;
    }

    /// <summary>Half and half of <paramref name="channels"/> (which must be even).</summary>
    public static RepresentationSplit Halves(int channels)
    {
        if (channels < 2 || channels % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "An even number of channels (≥ 2) is needed to split in halves.");
        return new RepresentationSplit(channels / 2, channels / 2);
    }

    /// <summary>Channels of the invariant part (the first ones).</summary>
    public int InvariantChannels { get; }

    /// <summary>Channels of the equivariant part (the last ones).</summary>
    public int EquivariantChannels { get; }

    /// <summary>Total channels, <c>C = C_inv + C_eqv</c>.</summary>
    public int Channels => InvariantChannels + EquivariantChannels;

    /// <summary>The invariant part of <c>(…, C)</c> → <c>(…, C_inv)</c>.</summary>
    public Tensor Invariant(Tensor x)
    {
        Check(x);
        return x.narrow(-1, 0, InvariantChannels);
    }

    /// <summary>The equivariant part of <c>(…, C)</c> → <c>(…, C_eqv)</c>.</summary>
    public Tensor Equivariant(Tensor x)
    {
        Check(x);
        return x.narrow(-1, InvariantChannels, EquivariantChannels);
    }

    private void Check(Tensor x)
    {
        if (x.shape[^1] != Channels)
            throw new ArgumentException($"Expected a last dimension of {Channels} channels ({InvariantChannels} invariant + {EquivariantChannels} equivariant), got shape [{string.Join(", ", x.shape)}].", nameof(x));
    }
}
