using System.Globalization;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>
/// A ResNet (basic blocks) that returns its last feature map as tokens and their mean as the representation.
/// Input: float images <c>(B, 3, H, W)</c>, already normalized. Output: tokens <c>(B, h·w, C)</c> in row-major order
/// and pooled <c>(B, C)</c> (the mean over tokens), with <c>h = w = </c><see cref="ResNetEncoderConfig.TokenGridSize"/>
/// for square images. Weight names match torchvision's resnet18 without <c>fc</c> (<c>conv1.weight</c>,
/// <c>bn1.running_mean</c>, <c>layer1.0.conv1.weight</c>, <c>layer2.0.downsample.0.weight</c>, …), so torchvision
/// weights load into <see cref="ResNetEncoderConfig.ImageNetResNet18"/>. Convolutions are initialised like torchvision
/// (Kaiming normal, fan-out, ReLU gain), batch norms with weight 1 and bias 0.
/// </summary>
public sealed class ResNetEncoder : Module<Tensor, EncoderOutput>
{
    /// <summary>Input channels (RGB).</summary>
    public const int InputChannels = 3;

    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly MaxPool2d? maxpool;
    private readonly Sequential[] layers;
    private readonly Tensor? input_offset;

    /// <summary>Creates an encoder of the given shape (validated).</summary>
    /// <param name="config">The shape, see <see cref="ResNetEncoderConfig"/>.</param>
    /// <exception cref="ArgumentException">The configuration is invalid.</exception>
    public ResNetEncoder(ResNetEncoderConfig config) : base(nameof(ResNetEncoder))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        var stemWidth = config.Widths[0];
        if (config.Stem == ResNetStem.Cifar)
        {
            conv1 = Conv2d(InputChannels, stemWidth, kernel_size: 3, stride: 1, padding: 1, bias: false);
        }
        else
        {
            conv1 = Conv2d(InputChannels, stemWidth, kernel_size: 7, stride: 2, padding: 3, bias: false);
            maxpool = MaxPool2d(kernel_size: 3, stride: 2, padding: 1);
        }
        bn1 = BatchNorm2d(stemWidth);
        register_module(nameof(conv1), conv1);
        register_module(nameof(bn1), bn1);
        if (maxpool is not null)
            register_module(nameof(maxpool), maxpool);

        layers = new Sequential[config.Stages];
        var inChannels = stemWidth;
        for (var stage = 0; stage < config.Stages; stage++)
        {
            var width = config.Widths[stage];
            var layer = Sequential();
            for (var block = 0; block < config.BlocksPerStage[stage]; block++)
            {
                var stride = stage > 0 && block == 0 ? 2 : 1;
                layer.append(new BasicBlock(inChannels, width, stride));
                inChannels = width;
            }
            layers[stage] = layer;
            register_module("layer" + (stage + 1).ToString(CultureInfo.InvariantCulture), layer);
        }
        if (config.InputOffsetSize > 0)
        {
            input_offset = zeros(1, InputChannels, config.InputOffsetSize, config.InputOffsetSize).DetachFromDisposeScope();
            register_buffer(nameof(input_offset), input_offset);
        }
        InitializeWeights();
        RegisterComponents();
    }

    /// <summary>The shape this encoder was built with.</summary>
    public ResNetEncoderConfig Config { get; }

    /// <summary>
    /// The dtype the convolutions and BatchNorm layers compute in (null, the default: the input's, float32). Set to
    /// bfloat16 by pretraining with <see cref="Training.TrainingPrecision.Bf16"/>: the weights stay float32 and are
    /// cast per pass (<see cref="MixedPrecision"/>); the outputs are float32 either way. Not saved with the model.
    /// </summary>
    internal ScalarType? ComputeType { get; set; }

    /// <summary>Channels <c>C</c> of the tokens and of the pooled representation (the last width).</summary>
    public int Channels => Config.Channels;

    /// <summary>How the representation splits into invariant and equivariant channels.</summary>
    public RepresentationSplit Split => Config.Split;

    /// <summary>Encodes images <c>(B, 3, H, W)</c> into tokens <c>(B, h·w, C)</c> and pooled <c>(B, C)</c>.</summary>
    /// <exception cref="ArgumentException">The input is not a batch of 3-channel images.</exception>
    public override EncoderOutput forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 4 || input.shape[1] != InputChannels)
            throw new ArgumentException($"Expected images of shape (B, {InputChannels}, H, W), got [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = NewDisposeScope();
        var x = input_offset is null ? input : input - Offset(input.shape[2], input.shape[3]);
        if (ComputeType is { } compute)
            x = x.to(compute);
        x = functional.relu(bn1.call(MixedPrecision.Conv(conv1, x)));
        if (maxpool is not null)
            x = maxpool.call(x);
        foreach (var layer in layers)
            x = layer.call(x);
        if (x.dtype != ScalarType.Float32)
            x = x.to(ScalarType.Float32);
        var tokens = x.flatten(2).transpose(1, 2).contiguous();
        var pooled = tokens.mean([1]);
        return new EncoderOutput(tokens, pooled).MoveToOuterDisposeScope();
    }

    /// <summary>The input offset <c>(1, 3, h, w)</c> at the input's size (bilinear, antialiased when shrinking).</summary>
    private Tensor Offset(long h, long w)
    {
        var offset = input_offset!;
        return offset.shape[2] == h && offset.shape[3] == w
            ? offset
            : functional.interpolate(offset, [h, w], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
    }

    private void InitializeWeights()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d bn:
                    init.ones_(bn.weight);
                    init.zeros_(bn.bias);
                    break;
            }
        }
    }
}
