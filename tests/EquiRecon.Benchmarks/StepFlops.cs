using EquiRecon.TorchSharp.Methods;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace EquiRecon.Benchmarks;

/// <summary>
/// FLOPs of one training step, counted from the model's convolutions and linear layers during one real forward pass of
/// both views (forward hooks): a layer producing output <c>y</c> with weight <c>W</c> costs <c>2·|y|·|W|/W.shape[0]</c>
/// multiply-adds ×2 forward; backward adds the same again for the input gradient (when its input needs one) and for
/// the weight gradient (when the weight is trained). Attention score products, BatchNorm, activations, the loss and the
/// optimizer are not counted, so the figure is a slight undercount of the work.
/// </summary>
internal static class StepFlops
{
    public static double Count(PretrainingModel model, PretrainingInput input)
    {
        double flops = 0;
        var removers = new List<Action>();
        foreach (var module in model.modules())
        {
            if (module is Conv2d conv)
            {
                var r = conv.register_forward_hook((_, x, y) => { flops += Cost(conv.weight!, x, y); return null!; });
                removers.Add(r.remove);
            }
            else if (module is Linear linear)
            {
                var r = linear.register_forward_hook((_, x, y) => { flops += Cost(linear.weight!, x, y); return null!; });
                removers.Add(r.remove);
            }
        }
        try
        {
            using var scope = NewDisposeScope();
            model.call(input);
        }
        finally
        {
            foreach (var remove in removers)
                remove();
        }
        return flops;
    }

    private static double Cost(Parameter weight, Tensor x, Tensor y)
    {
        var forward = 2.0 * y.NumberOfElements * (weight.NumberOfElements / weight.shape[0]);
        var backward = (x.requires_grad ? forward : 0) + (weight.requires_grad ? forward : 0);
        return forward + backward;
    }
}
