using System.Security.Cryptography;
using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.Models.NaturalImage;

/// <summary>
/// The natural-image encoder shipped inside this assembly (<see cref="Name"/>): ML.NET's ImageNet ResNet-18
/// (<c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> 0.23.1, MIT) imported into an EquiRecon model file as the
/// <c>mlnet-resnet18</c> encoder (ImageNet stem, blocks 2, 2, 2, 3, 128 × 128 RGB input, representation 512 = 256
/// invariant + 256 equivariant channels, tokens 4 × 4) and pretrained further with the <c>equirecon</c> method on
/// Imagenette. <c>docs/natural-image-encoder.md</c> records how it was made and what it is good for.
/// </summary>
/// <remarks>
/// EquiRecon.MLNet finds it without a compile-time reference when an application references this package:
/// <c>BuiltInEncoder.NaturalImage</c> on <c>FeaturizeImage</c>, <c>TransformationProbe</c> and <c>Segmentation</c>
/// (through <see cref="BuiltInEncoders"/>, which calls <see cref="ReadBytes"/>). From TorchSharp code, use
/// <see cref="Load"/>. The ImageNet classes of Imagenette are in distribution for it: its backbone was trained on ImageNet.
/// </remarks>
public static partial class NaturalImageEncoder
{
    private const string ResourceName = Name + ".equirecon";
    private static readonly Lazy<byte[]> Bytes = new(ReadResource);

    /// <summary>How the embedded model file is named in error messages.</summary>
    public const string SourceName = "the natural-image encoder '" + Name + "' embedded in EquiRecon.Models.NaturalImage";

    /// <summary>A copy of the embedded model file, byte for byte (an EquiRecon model file, see <see cref="ModelFile"/>).</summary>
    /// <exception cref="ModelFileException">The resource is missing or its SHA-256 differs from <see cref="Sha256"/> (a damaged assembly).</exception>
    public static byte[] ReadBytes() => (byte[])Bytes.Value.Clone();

    /// <summary>The manifest of the encoder (architecture, input size, normalisation, provenance).</summary>
    /// <exception cref="ModelFileException">The embedded model file is missing or damaged.</exception>
    public static ModelManifest ReadManifest() => ModelFile.ReadManifest(Bytes.Value, SourceName);

    /// <summary>Loads the encoder for batched inference (eval mode) on <paramref name="device"/> (default CPU).</summary>
    /// <param name="device">Where the encoder runs; default <c>torch.CPU</c>.</param>
    /// <returns>The encoder; the caller disposes it.</returns>
    /// <exception cref="ModelFileException">The embedded model file is missing or damaged.</exception>
    public static PretrainedEncoder Load(torch.Device? device = null) => ModelFile.Load(Bytes.Value, SourceName, device);

    private static byte[] ReadResource()
    {
        var assembly = typeof(NaturalImageEncoder).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new ModelFileException($"The natural-image encoder resource '{ResourceName}' is missing from {assembly.GetName().Name}.");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(sha, Sha256, StringComparison.Ordinal))
            throw new ModelFileException($"The natural-image encoder resource '{ResourceName}' has SHA-256 {sha}, expected {Sha256}; the assembly is damaged.");
        return bytes;
    }
}
