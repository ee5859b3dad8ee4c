namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The bounds a model file's manifest and entries must keep (the one home of these limits; docs/model-file.md lists them).
/// They are checked before anything the manifest sizes is allocated, so a damaged or hostile file cannot make a reader
/// inflate or allocate without bound.
/// </summary>
internal static class ModelFileLimits
{
    /// <summary>Largest <c>manifest.json</c> entry read (1 MiB).</summary>
    public const long MaxManifestBytes = 1 << 20;

    /// <summary>Largest <c>integrity.sha256</c> entry read.</summary>
    public const long MaxIntegrityBytes = 256;

    /// <summary>Largest <c>encoder.bin</c> (1 GiB); the entry must also be exactly the size its manifest's encoder needs.</summary>
    public const long MaxWeightsBytes = 1L << 30;

    /// <summary>Smallest input image side.</summary>
    public const int MinInputSize = 8;

    /// <summary>Largest input image side (also of the encoder's input offset).</summary>
    public const int MaxInputSize = 4096;

    /// <summary>Most stages of an encoder.</summary>
    public const int MaxStages = 8;

    /// <summary>Widest stage.</summary>
    public const int MaxWidth = 4096;

    /// <summary>Most basic blocks in one stage.</summary>
    public const int MaxBlocksPerStage = 64;

    /// <summary>Longest free-text field (the library version).</summary>
    public const int MaxTextLength = 64;

    /// <summary>Most provenance entries.</summary>
    public const int MaxProvenanceEntries = 256;
}
