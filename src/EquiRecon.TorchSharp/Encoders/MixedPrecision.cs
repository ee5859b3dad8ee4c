using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>
/// Convolutions in the dtype of their input: when the input is not the weight's dtype (bfloat16 activations over
/// float32 master weights), the weight is cast for this pass, so autograd returns float32 gradients to it. BatchNorm
/// needs nothing: libtorch's CPU and CUDA kernels take bfloat16 input with float32 parameters and statistics.
/// </summary>
internal static class MixedPrecision
{
    /// <summary><paramref name="conv"/> applied to <paramref name="x"/> in <paramref name="x"/>'s dtype, with the module's own stride and padding.</summary>
    public static Tensor Conv(Conv2d conv, Tensor x)
    {
        var weight = conv.weight!;
        if (x.dtype == weight.dtype)
            return conv.call(x);
        return nn.functional.conv2d(x, weight.to(x.dtype), conv.bias?.to(x.dtype), strides: conv.stride, padding: conv.padding);
    }
}
