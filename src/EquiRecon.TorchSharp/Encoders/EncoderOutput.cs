using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Encoders;

/// <summary>What every encoder returns for a batch of images.</summary>
/// <param name="Tokens">The last feature map as tokens, shape <c>(B, N, C)</c> with <c>N = h·w</c> in row-major order.</param>
/// <param name="Pooled">The global-average-pooled representation, shape <c>(B, C)</c>.</param>
public readonly record struct EncoderOutput(Tensor Tokens, Tensor Pooled)
{
    /// <summary>Moves both tensors to the enclosing dispose scope (call inside <c>forward</c> before returning).</summary>
    public EncoderOutput MoveToOuterDisposeScope() => new(Tokens.MoveToOuterDisposeScope(), Pooled.MoveToOuterDisposeScope());
}
