namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>Which channels of a split representation a probe sees.</summary>
public enum RepresentationPart
{
    /// <summary>The invariant channels only.</summary>
    Invariant,

    /// <summary>The equivariant channels only.</summary>
    Equivariant,

    /// <summary>All channels.</summary>
    Full,
}
