using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace EquiRecon.TorchSharp.Heads;

/// <summary>
/// The generic projector / expander / probe: for sizes <c>d0 → d1 → … → dk</c>, hidden layers
/// Linear(d_i → d_i+1), BatchNorm1d (optional), ReLU, then a last Linear(d_k-1 → d_k) without batch norm or ReLU.
/// Maps <c>(B, d0)</c> to <c>(B, dk)</c>. Weights are <c>layers.0.weight</c>, <c>layers.1.weight</c> (batch norm), …,
/// numbered like a PyTorch <c>nn.Sequential</c> (ReLU takes an index too).
/// </summary>
public sealed class MlpHead : Module<Tensor, Tensor>
{
    private readonly Sequential layers;

    /// <summary>Creates a head of the given shape.</summary>
    /// <param name="options">The shape, see <see cref="MlpHeadOptions"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public MlpHead(MlpHeadOptions options) : base(nameof(MlpHead))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var dims = options.Dims;
        layers = Sequential();
        for (var i = 0; i < dims.Count - 2; i++)
        {
            layers.append(Linear(dims[i], dims[i + 1], hasBias: !options.BatchNorm));
            if (options.BatchNorm)
                layers.append(BatchNorm1d(dims[i + 1]));
            layers.append(ReLU());
        }
        layers.append(Linear(dims[^2], dims[^1], hasBias: options.LastBias));
        RegisterComponents();
    }

    /// <summary>The shape this head was built with.</summary>
    public MlpHeadOptions Options { get; }

    /// <summary>Input features <c>d0</c>.</summary>
    public int InputDim => Options.InputDim;

    /// <summary>Output features <c>dk</c>.</summary>
    public int OutputDim => Options.OutputDim;

    /// <summary>Applies the head: <c>(B, d0)</c> → <c>(B, dk)</c>.</summary>
    /// <exception cref="ArgumentException">The input is not <c>(B, d0)</c>.</exception>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 2 || input.shape[1] != InputDim)
            throw new ArgumentException($"Expected input of shape (B, {InputDim}), got [{string.Join(", ", input.shape)}].", nameof(input));
        using var scope = NewDisposeScope();
        var result = layers.call(input);
        return result.MoveToOuterDisposeScope();
    }
}
