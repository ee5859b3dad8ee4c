using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>
/// The shape of a <see cref="ResNetEncoder"/>: its stem, one width and one block count per stage, and how its
/// representation is split into invariant and equivariant channels. The first stage keeps the stem's
/// resolution, every later stage halves it (strides 1, 2, 2, 2 for four stages).
/// </summary>
public sealed record ResNetEncoderConfig
{
    private readonly ReadOnlyCollection<int> widths;
    private readonly ReadOnlyCollection<int> blocksPerStage;

    /// <summary>Creates and validates a configuration.</summary>
    /// <param name="stem">The stem, see <see cref="ResNetStem"/>.</param>
    /// <param name="widths">Output channels of each stage, one per stage, all positive.</param>
    /// <param name="blocksPerStage">Basic blocks in each stage, one per stage, all positive.</param>
    /// <param name="split">How the last width is split; default <see cref="RepresentationSplit.Halves"/> of the last width.</param>
    /// <exception cref="ArgumentException">A list is empty, the lists differ in length, an entry is not positive, or the split does not cover the last width.</exception>
    public ResNetEncoderConfig(ResNetStem stem, IReadOnlyList<int> widths, IReadOnlyList<int> blocksPerStage, RepresentationSplit? split = null)
    {
        ArgumentNullException.ThrowIfNull(widths);
        ArgumentNullException.ThrowIfNull(blocksPerStage);
        Stem = stem;
        this.widths = Array.AsReadOnly(widths.ToArray());
        this.blocksPerStage = Array.AsReadOnly(blocksPerStage.ToArray());
        ValidateStages();
        if (split is null && this.widths[^1] % 2 != 0)
            throw new ArgumentException($"The last width must be even to split it in halves, got {this.widths[^1]}; pass an explicit split.", nameof(split));
        Split = split ?? RepresentationSplit.Halves(this.widths[^1]);
        Validate();
    }

    /// <summary>The stem; default none (required).</summary>
    public ResNetStem Stem { get; init; }

    /// <summary>Output channels of each stage (one entry per stage).</summary>
    public IReadOnlyList<int> Widths
    {
        get => widths;
        init => widths = Array.AsReadOnly((value ?? throw new ArgumentNullException(nameof(value))).ToArray());
    }

    /// <summary>Basic blocks in each stage (one entry per stage).</summary>
    public IReadOnlyList<int> BlocksPerStage
    {
        get => blocksPerStage;
        init => blocksPerStage = Array.AsReadOnly((value ?? throw new ArgumentNullException(nameof(value))).ToArray());
    }

    /// <summary>How the representation (the last width) is split; its <see cref="RepresentationSplit.Channels"/> equals the last width.</summary>
    public RepresentationSplit Split { get; init; }

    /// <summary>
    /// Side of a fixed input offset image (buffer <c>input_offset</c>, <c>(1, 3, S, S)</c>) that the encoder subtracts from
    /// its normalized input, resized bilinearly (antialiased) to the input's size when the sizes differ; default 0: none.
    /// It holds a per-pixel mean image the per-channel normalisation cannot express (ML.NET's ResNet-18 subtracts a
    /// 224×224 mean image). Not trained.
    /// </summary>
    public int InputOffsetSize { get; init; }

    /// <summary>Channels of the representation, the last width.</summary>
    public int Channels => widths[^1];

    /// <summary>Number of stages.</summary>
    public int Stages => widths.Count;

    /// <summary>
    /// How much the encoder divides the resolution: stem stride (1 for <see cref="ResNetStem.Cifar"/>, 4 for
    /// <see cref="ResNetStem.ImageNet"/>) times 2 per stage after the first (8 and 32 for four stages).
    /// </summary>
    public int TotalStride => (Stem == ResNetStem.Cifar ? 1 : 4) << (widths.Count - 1);

    /// <summary>The paper's encoder: CIFAR stem, widths 64, 128, 256, 512, two blocks per stage, 512 = 256 + 256 (for GPU runs).</summary>
    public static ResNetEncoderConfig CifarResNet18 { get; } = new(ResNetStem.Cifar, [64, 128, 256, 512], [2, 2, 2, 2]);

    /// <summary>ResNet-18 at half width: CIFAR stem, widths 32, 64, 128, 256, two blocks per stage, 256 = 128 + 128.</summary>
    public static ResNetEncoderConfig CifarResNet18HalfWidth { get; } = new(ResNetStem.Cifar, [32, 64, 128, 256], [2, 2, 2, 2]);

    /// <summary>The default CPU encoder: CIFAR stem, widths 32, 64, 128, 256, one block per stage, 256 = 128 + 128.</summary>
    public static ResNetEncoderConfig SmallCifarResNet { get; } = new(ResNetStem.Cifar, [32, 64, 128, 256], [1, 1, 1, 1]);

    /// <summary>torchvision's ResNet-18 without its classifier: ImageNet stem, widths 64, 128, 256, 512, two blocks per stage, 512 = 256 + 256 (images of 96 px and more).</summary>
    public static ResNetEncoderConfig ImageNetResNet18 { get; } = new(ResNetStem.ImageNet, [64, 128, 256, 512], [2, 2, 2, 2]);

    /// <summary>
    /// ML.NET's ImageNet ResNet-18 (<c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>, a CNTK 2.6 export; see
    /// <c>EquiRecon.Onnx.MlNetResNet18Import</c>): ImageNet stem, widths 64, 128, 256, 512, blocks 2, 2, 2, 3 (nine
    /// blocks: its last stage has three), 512 = 256 + 256. CNTK pads its stride-2 layers on the top and left only
    /// (7×7 stem: 3 top/left, 2 bottom/right; max-pool and strided 3×3 convolutions: 1 top/left); for even sides that
    /// is exactly this encoder's symmetric padding, whose extra bottom/right row and column no strided window reaches.
    /// Use image sides that are multiples of 32 (224 → 7×7 tokens, 128 → 4×4), where every strided layer sees even
    /// sides; other sides run but no longer match ML.NET's network.
    /// <para>It carries ML.NET's 224×224 mean image as an <see cref="InputOffsetSize"/> offset (the part of the mean image the
    /// per-channel mean of the normalisation does not remove), so imported weights reproduce ML.NET's pipeline exactly at 224 px.</para>
    /// </summary>
    public static ResNetEncoderConfig MlNetResNet18 { get; } = new(ResNetStem.ImageNet, [64, 128, 256, 512], [2, 2, 2, 3]) { InputOffsetSize = 224 };

    /// <summary>
    /// The side of the last feature map, hence of the token grid (<c>N = side²</c> tokens), for square images of
    /// <paramref name="imageSize"/> pixels: each stride-2 layer maps a side <c>s</c> to <c>⌈s / 2⌉</c>, so this is
    /// <c>imageSize / 8</c> (CIFAR stem, four stages) or <c>imageSize / 32</c> (ImageNet stem) when those divide;
    /// 32 px with the CIFAR stem gives a 4×4 grid.
    /// </summary>
    /// <param name="imageSize">Image side in pixels, at least 1.</param>
    public int TokenGridSize(int imageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        var halvings = widths.Count - 1 + (Stem == ResNetStem.ImageNet ? 2 : 0);
        var side = imageSize;
        for (var i = 0; i < halvings; i++)
            side = (side + 1) / 2;
        return side;
    }

    /// <summary>
    /// Checks the configuration (also after a <c>with</c> expression, which skips the constructor's checks).
    /// </summary>
    /// <exception cref="ArgumentException">A list is empty, the lists differ in length, an entry is not positive, or the split does not cover the last width.</exception>
    public void Validate()
    {
        ValidateStages();
        if (Split is null)
            throw new ArgumentException("A split is required.", nameof(Split));
        if (Split.Channels != widths[^1])
            throw new ArgumentException($"The split covers {Split.Channels} channels ({Split.InvariantChannels} + {Split.EquivariantChannels}) but the last width is {widths[^1]}; they must be equal.", nameof(Split));
    }

    private void ValidateStages()
    {
        if (!Enum.IsDefined(Stem))
            throw new ArgumentException($"Unknown stem {Stem}.", nameof(Stem));
        if (InputOffsetSize is < 0 or > 4096)
            throw new ArgumentException($"InputOffsetSize must lie in [0, 4096] (0: no offset), got {InputOffsetSize.ToString(CultureInfo.InvariantCulture)}.", nameof(InputOffsetSize));
        if (widths.Count == 0)
            throw new ArgumentException("At least one stage is needed: Widths is empty.", nameof(Widths));
        if (blocksPerStage.Count != widths.Count)
            throw new ArgumentException($"Widths and BlocksPerStage need one entry per stage, got {widths.Count} widths and {blocksPerStage.Count} block counts.", nameof(BlocksPerStage));
        if (widths.Count > 16)
            throw new ArgumentException($"At most 16 stages are supported, got {widths.Count}.", nameof(Widths));
        for (var i = 0; i < widths.Count; i++)
        {
            if (widths[i] < 1)
                throw new ArgumentException($"Every width must be positive, got {widths[i].ToString(CultureInfo.InvariantCulture)} for stage {(i + 1).ToString(CultureInfo.InvariantCulture)}.", nameof(Widths));
            if (blocksPerStage[i] < 1)
                throw new ArgumentException($"Every stage needs at least one block, got {blocksPerStage[i].ToString(CultureInfo.InvariantCulture)} for stage {(i + 1).ToString(CultureInfo.InvariantCulture)}.", nameof(BlocksPerStage));
        }
    }

    /// <inheritdoc />
    public bool Equals(ResNetEncoderConfig? other) =>
        other is not null && Stem == other.Stem && widths.SequenceEqual(other.widths) && blocksPerStage.SequenceEqual(other.blocksPerStage) && Split == other.Split
        && InputOffsetSize == other.InputOffsetSize;

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Stem);
        foreach (var w in widths)
            hash.Add(w);
        foreach (var b in blocksPerStage)
            hash.Add(b);
        hash.Add(Split);
        hash.Add(InputOffsetSize);
        return hash.ToHashCode();
    }

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Stem = {Stem}, Widths = [{string.Join(", ", widths)}], BlocksPerStage = [{string.Join(", ", blocksPerStage)}], Split = {Split.InvariantChannels} + {Split.EquivariantChannels}");
        if (InputOffsetSize > 0)
            builder.Append(CultureInfo.InvariantCulture, $", InputOffsetSize = {InputOffsetSize}");
        return true;
    }
}
