using System.Text.Json.Serialization;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The JSON manifest stored beside the weights in a model file. Loading checks every field
/// against the weights and the running library before any tensor is created.
/// </summary>
public sealed record ModelManifest
{
    /// <summary>
    /// The manifest format this library writes: 2, which adds the <c>integrity.sha256</c> entry (SHA-256 of the manifest
    /// and the weights). Format 1 files (no such entry; only the weights are hashed) still load.
    /// </summary>
    public const int CurrentFormatVersion = 2;

    /// <summary>The method name of an encoder imported from another framework (e.g. ML.NET's ResNet-18), not trained by a registered method.</summary>
    public const string ImportedMethod = "imported";

    /// <summary>The method name of a randomly initialised, untrained encoder (a baseline).</summary>
    public const string RandomMethod = "random";

    /// <summary>Format version of the file; a reader refuses versions it does not know (it reads 1 to <see cref="CurrentFormatVersion"/>).</summary>
    [JsonPropertyName("formatVersion")] public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Name of the method the encoder was trained with: a registry name (e.g. <c>equirecon</c>), <see cref="ImportedMethod"/> or <see cref="RandomMethod"/>.</summary>
    [JsonPropertyName("method")] public required string Method { get; init; }

    /// <summary>The encoder architecture.</summary>
    [JsonPropertyName("encoder")] public required EncoderSpec Encoder { get; init; }

    /// <summary>Side of the square input images in pixels.</summary>
    [JsonPropertyName("inputSize")] public required int InputSize { get; init; }

    /// <summary>Per-channel mean (RGB) subtracted from [0, 1] pixels before the encoder.</summary>
    [JsonPropertyName("mean")] public required IReadOnlyList<float> Mean { get; init; }

    /// <summary>Per-channel standard deviation (RGB) dividing the centred pixels.</summary>
    [JsonPropertyName("std")] public required IReadOnlyList<float> Std { get; init; }

    /// <summary>Version of EquiRecon.TorchSharp that wrote the file.</summary>
    [JsonPropertyName("libraryVersion")] public required string LibraryVersion { get; init; }

    /// <summary>Lower-case hex SHA-256 of the weights entry.</summary>
    [JsonPropertyName("weightsSha256")] public required string WeightsSha256 { get; init; }

    /// <summary>Free-form provenance: training command, data, steps, date.</summary>
    [JsonPropertyName("provenance")] public IReadOnlyDictionary<string, string> Provenance { get; init; } = new Dictionary<string, string>();
}

/// <summary>The encoder architecture as plain data (see <c>ResNetEncoderConfig</c>).</summary>
public sealed record EncoderSpec
{
    /// <summary><c>Cifar</c> (3×3 stem, no max-pool) or <c>ImageNet</c> (7×7 stride 2 + max-pool).</summary>
    [JsonPropertyName("stem")] public required string Stem { get; init; }

    /// <summary>Channels of each stage.</summary>
    [JsonPropertyName("widths")] public required IReadOnlyList<int> Widths { get; init; }

    /// <summary>Basic blocks in each stage.</summary>
    [JsonPropertyName("blocksPerStage")] public required IReadOnlyList<int> BlocksPerStage { get; init; }

    /// <summary>Channels of the invariant part (the first ones).</summary>
    [JsonPropertyName("invariantChannels")] public required int InvariantChannels { get; init; }

    /// <summary>Channels of the equivariant part (the rest).</summary>
    [JsonPropertyName("equivariantChannels")] public required int EquivariantChannels { get; init; }

    /// <summary>Side of the encoder's fixed input offset image (0, the default and omitted from the JSON: none).</summary>
    [JsonPropertyName("inputOffsetSize")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public int InputOffsetSize { get; init; }
}
