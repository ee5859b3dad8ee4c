using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>Which channels of the representation an objective or probe uses.</summary>
public enum RepresentationPart
{
    /// <summary>The first <c>C_inv</c> channels.</summary>
    Invariant,
    /// <summary>The last <c>C_eqv</c> channels.</summary>
    Equivariant,
    /// <summary>All <c>C</c> channels.</summary>
    All,
}

/// <summary>Selecting a <see cref="RepresentationPart"/> from tensors whose last dimension is the channel.</summary>
public static class RepresentationParts
{
    /// <summary>The selected channels of <c>(…, C)</c>.</summary>
    public static Tensor Select(this RepresentationSplit split, RepresentationPart part, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(split);
        return part switch
        {
            RepresentationPart.Invariant => split.Invariant(x),
            RepresentationPart.Equivariant => split.Equivariant(x),
            RepresentationPart.All => x,
            _ => throw new ArgumentOutOfRangeException(nameof(part), part, "Unknown representation part."),
        };
    }

    /// <summary>Number of channels of the selected part.</summary>
    public static int Channels(this RepresentationSplit split, RepresentationPart part)
    {
        ArgumentNullException.ThrowIfNull(split);
        return part switch
        {
            RepresentationPart.Invariant => split.InvariantChannels,
            RepresentationPart.Equivariant => split.EquivariantChannels,
            RepresentationPart.All => split.Channels,
            _ => throw new ArgumentOutOfRangeException(nameof(part), part, "Unknown representation part."),
        };
    }
}
