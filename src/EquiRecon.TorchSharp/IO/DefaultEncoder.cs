using System.Security.Cryptography;
using TorchSharp;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The default encoder shipped inside this assembly: a <c>small-cifar-resnet</c> (widths 32–64–128–256, one block per
/// stage, representation 256 = 128 invariant + 128 equivariant channels, 32 × 32 RGB input) pretrained with the
/// <c>equirecon</c> method on the 50,000 CIFAR-10 training images, on CPU, by this repository's own CLI.
/// <c>docs/default-encoder.md</c> records the training command, the evaluation table and what it is good for.
/// </summary>
/// <remarks>
/// The featurizer, transformation probe and segmentation adapter of EquiRecon.MLNet use it when no model file is
/// given. It is small (a few MB) and trained on 32-pixel images: a starting point and a baseline, not a replacement
/// for an encoder pretrained on your own images (<c>equirecon pretrain</c> or <c>mlContext.Transforms.EquiRecon().Pretrain</c>).
/// </remarks>
public static class DefaultEncoder
{
    /// <summary>Name of the default encoder; also the manifest-resource name inside this assembly.</summary>
    public const string Name = "equirecon-small-cifar10";

    /// <summary>SHA-256 (lower-case hex) of the embedded model file, byte for byte; the loader checks it.</summary>
    public const string Sha256 = "6bd360f790b4fe2cab7eddc44e75a78d78c4bf981e5e4d4673392a2671c1d1dd";

    private const string ResourceName = "EquiRecon.TorchSharp.Resources." + Name + ".equirecon";
    private static readonly Lazy<byte[]> Bytes = new(ReadResource);

    /// <summary>How the embedded model file is named in error messages.</summary>
    public const string SourceName = "the default encoder '" + Name + "' embedded in EquiRecon.TorchSharp";

    /// <summary>A copy of the embedded model file, byte for byte (an EquiRecon model file, see <see cref="ModelFile"/>).</summary>
    /// <exception cref="ModelFileException">The resource is missing or its SHA-256 differs from <see cref="Sha256"/> (a damaged assembly).</exception>
    public static byte[] ReadBytes() => (byte[])Bytes.Value.Clone();

    /// <summary>The manifest of the default encoder (architecture, input size, normalisation, provenance).</summary>
    /// <exception cref="ModelFileException">The embedded model file is missing or damaged.</exception>
    public static ModelManifest ReadManifest() => ModelFile.ReadManifest(Bytes.Value, SourceName);

    /// <summary>Loads the default encoder for batched inference (eval mode) on <paramref name="device"/> (default CPU).</summary>
    /// <param name="device">Where the encoder runs; default <c>torch.CPU</c>.</param>
    /// <returns>The encoder; the caller disposes it.</returns>
    /// <exception cref="ModelFileException">The embedded model file is missing or damaged.</exception>
    public static PretrainedEncoder Load(torch.Device? device = null) => ModelFile.Load(Bytes.Value, SourceName, device);

    private static byte[] ReadResource()
    {
        using var stream = typeof(DefaultEncoder).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new ModelFileException($"The default encoder resource '{ResourceName}' is missing from {typeof(DefaultEncoder).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var bytes = copy.ToArray();
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, Sha256, StringComparison.Ordinal))
            throw new ModelFileException($"The default encoder resource '{ResourceName}' has SHA-256 {sha}, expected {Sha256}; the assembly is damaged.");
        return bytes;
    }
}
