using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using static EquiRecon.TorchSharp.TensorShapes;

namespace EquiRecon.TorchSharp.Segmentation;

/// <summary>
/// A light segmentation head on a frozen encoder: the feature map <c>(B, C, h, w)</c> (the encoder's tokens
/// <c>(B, h·w, C)</c> in row-major order, transposed and reshaped) goes through <c>proj</c> (1×1 convolution
/// <c>C → hidden</c>, ReLU); then either
/// <list type="bullet">
/// <item>with <see cref="SegmentationHeadOptions.ImageSkip"/>: bilinear upsampling to the image size <c>(H, W)</c>,
/// concatenation with the normalized image <c>(B, 3, H, W)</c>, <c>refine</c> (3×3 convolution
/// <c>hidden + 3 → hidden</c>, ReLU) and <c>classifier</c> (1×1 convolution <c>hidden → K</c>);</item>
/// <item>without: <c>classifier</c> (1×1 convolution <c>hidden → K</c>) on the token grid, then bilinear upsampling of
/// the logits to <c>(H, W)</c>.</item>
/// </list>
/// Output: per-pixel logits <c>(B, K, H, W)</c>. Parameters: <c>proj.weight</c>, <c>proj.bias</c>, (<c>refine.weight</c>,
/// <c>refine.bias</c>,) <c>classifier.weight</c>, <c>classifier.bias</c>. Bilinear upsampling uses
/// <c>align_corners = false</c>.
/// </summary>
public sealed class SegmentationHead : Module<Tensor, Tensor, Tensor>
{
    /// <summary>Channels of the image the head refines with (RGB).</summary>
    public const int ImageChannels = 3;

    private const int Magic = 0x31485345; // "ESH1" as a little-endian int32.
    private const int FormatVersion = 1;

    private readonly Conv2d proj;
    private readonly Conv2d? refine;
    private readonly Conv2d classifier;

    /// <summary>
    /// Creates a head of the given shape with PyTorch's default initialisation distribution for convolutions
    /// (weights and biases uniform in ±1/√fan_in) drawn from <paramref name="generator"/>.
    /// </summary>
    /// <param name="options">The shape, see <see cref="SegmentationHeadOptions"/>.</param>
    /// <param name="generator">Generator of the initial weights; null for a fixed seed of 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">The options are invalid.</exception>
    public SegmentationHead(SegmentationHeadOptions options, Generator? generator = null) : base(nameof(SegmentationHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        TorchNative.EnsureLoaded();
        Options = options;
        proj = Conv2d(options.Channels, options.Hidden, kernel_size: 1);
        if (options.ImageSkip)
            refine = Conv2d(options.Hidden + ImageChannels, options.Hidden, kernel_size: 3, padding: 1);
        classifier = Conv2d(options.Hidden, options.Classes, kernel_size: 1);
        RegisterComponents();
        if (generator is null)
        {
            using var seeded = new Generator(0);
            Initialize(seeded);
        }
        else
        {
            Initialize(generator);
        }
    }

    /// <summary>The shape this head was built with.</summary>
    public SegmentationHeadOptions Options { get; }

    /// <summary>Per-pixel logits <c>(B, K, H, W)</c> from a feature map <c>(B, C, h, w)</c> and normalized images <c>(B, 3, H, W)</c>.</summary>
    /// <exception cref="ArgumentException">The shapes do not match the head or each other (the message names both).</exception>
    public override Tensor forward(Tensor features, Tensor images)
    {
        Check(features, images);
        using var scope = NewDisposeScope();
        long[] size = [images.shape[2], images.shape[3]];
        var hidden = functional.relu(proj.call(features));
        Tensor logits;
        if (refine is null)
        {
            logits = Upsample(classifier.call(hidden), size);
        }
        else
        {
            var fine = cat([Upsample(hidden, size), images.to(hidden.dtype)], 1);
            logits = classifier.call(functional.relu(refine.call(fine)));
        }
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The head as bytes: a header (magic, format version, <c>C</c>, <c>K</c>, hidden, image skip, encoder scale) followed by the
    /// state dict in TorchSharp's format. <see cref="FromBytes"/> reads it back.
    /// </summary>
    public byte[] ToBytes()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            writer.Write(Options.Channels);
            writer.Write(Options.Classes);
            writer.Write(Options.Hidden);
            writer.Write(Options.ImageSkip);
            writer.Write(Options.EncoderScale);
        }
        save(stream);
        return stream.ToArray();
    }

    /// <summary>Restores a head written by <see cref="ToBytes"/> (on the CPU, in eval mode).</summary>
    /// <exception cref="FormatException">The bytes are not a head of a known format version, or are truncated.</exception>
    public static SegmentationHead FromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        SegmentationHeadOptions options;
        try
        {
            using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            if (reader.ReadInt32() != Magic)
                throw new FormatException("The bytes are not a segmentation head (wrong magic number).");
            var version = reader.ReadInt32();
            if (version != FormatVersion)
                throw new FormatException($"Segmentation head format version {version.ToString(CultureInfo.InvariantCulture)} is not supported; this library reads version {FormatVersion.ToString(CultureInfo.InvariantCulture)}.");
            options = new SegmentationHeadOptions(reader.ReadInt32(), reader.ReadInt32(), reader.ReadInt32(), reader.ReadBoolean(), reader.ReadInt32());
        }
        catch (EndOfStreamException e)
        {
            throw new FormatException("The segmentation head bytes are truncated.", e);
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"The segmentation head header is invalid: {e.Message}", e);
        }
        var head = new SegmentationHead(options);
        try
        {
            head.load(stream, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            head.Dispose();
            throw new FormatException($"The segmentation head weights do not match its header: {e.Message}", e);
        }
        head.eval();
        return head;
    }

    private void Initialize(Generator generator)
    {
        using var noGrad = no_grad();
        foreach (var conv in new[] { proj, refine, classifier })
        {
            if (conv is null)
                continue;
            var weight = conv.weight!;
            var bound = 1.0 / Math.Sqrt(weight.shape[1] * weight.shape[2] * weight.shape[3]);
            weight.uniform_(-bound, bound, generator);
            conv.bias!.uniform_(-bound, bound, generator);
        }
    }

    private static Tensor Upsample(Tensor x, long[] size)
        => functional.interpolate(x, size, mode: InterpolationMode.Bilinear, align_corners: false);

    private void Check(Tensor features, Tensor images)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(images);
        if (features.dim() != 4 || features.shape[1] != Options.Channels)
            throw new ArgumentException($"Expected a feature map of shape (B, {Options.Channels.ToString(CultureInfo.InvariantCulture)}, h, w), got {Shape(features)}.", nameof(features));
        if (images.dim() != 4 || images.shape[1] != ImageChannels || images.shape[0] != features.shape[0])
            throw new ArgumentException($"Expected images of shape ({features.shape[0].ToString(CultureInfo.InvariantCulture)}, 3, H, W) to match features of shape {Shape(features)}, got {Shape(images)}.", nameof(images));
    }
}
