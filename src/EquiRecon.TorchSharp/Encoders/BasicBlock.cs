using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>
/// ResNet's basic block: <c>ReLU(BN(conv3×3(ReLU(BN(conv3×3(x))))) + shortcut(x))</c>, where the shortcut is the
/// identity, or a 1×1 convolution with batch norm (<c>downsample</c>) when the stride is not 1 or the channels
/// change. Weight names follow torchvision (<c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>downsample.0.weight</c>).
/// Maps <c>(B, C_in, H, W)</c> to <c>(B, C_out, ⌈H / stride⌉, ⌈W / stride⌉)</c>.
/// </summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly BatchNorm2d bn2;
    private readonly Sequential? downsample;
    private readonly (Conv2d Conv, BatchNorm2d Norm)? _shortcut; // downsample's two layers (not a field of Module type: not registered again)

    /// <summary>Creates a block.</summary>
    /// <param name="inChannels">Input channels, at least 1.</param>
    /// <param name="outChannels">Output channels, at least 1.</param>
    /// <param name="stride">Stride of the first convolution (and of the shortcut), at least 1.</param>
    public BasicBlock(int inChannels, int outChannels, int stride = 1) : base(nameof(BasicBlock))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        InChannels = inChannels;
        OutChannels = outChannels;
        Stride = stride;
        conv1 = Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(outChannels);
        conv2 = Conv2d(outChannels, outChannels, kernel_size: 3, stride: 1, padding: 1, bias: false);
        bn2 = BatchNorm2d(outChannels);
        if (stride != 1 || inChannels != outChannels)
        {
            var shortcut = (Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false), BatchNorm2d(outChannels));
            downsample = Sequential(shortcut.Item1, shortcut.Item2);
            _shortcut = shortcut;
        }
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public int InChannels { get; }

    /// <summary>Output channels.</summary>
    public int OutChannels { get; }

    /// <summary>Stride of the block.</summary>
    public int Stride { get; }

    /// <summary>Whether the shortcut is a projection (1×1 convolution + batch norm) rather than the identity.</summary>
    public bool HasDownsample => downsample is not null;

    /// <summary>
    /// Applies the block: <c>(B, C_in, H, W)</c> → <c>(B, C_out, ⌈H / stride⌉, ⌈W / stride⌉)</c>, in the input's dtype
    /// (bfloat16 input computes in bfloat16 on the float32 weights: <see cref="MixedPrecision"/>).
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = functional.relu(bn1.call(MixedPrecision.Conv(conv1, input)));
        x = bn2.call(MixedPrecision.Conv(conv2, x));
        var identity = _shortcut is { } shortcut ? shortcut.Norm.call(MixedPrecision.Conv(shortcut.Conv, input)) : input;
        var result = functional.relu(x + identity);
        return result.MoveToOuterDisposeScope();
    }
}
