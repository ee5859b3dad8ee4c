using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>Per-column standardisation with statistics of the training split (constant columns are only centred).</summary>
internal sealed class Standardizer : IDisposable
{
    private readonly Tensor mean;
    private readonly Tensor std;

    /// <summary>Statistics of <paramref name="train"/> <c>(N, d)</c>; identity when <paramref name="enabled"/> is false.</summary>
    public Standardizer(Tensor train, bool enabled)
    {
        using var scope = NewDisposeScope();
        if (enabled)
        {
            mean = train.mean([0L], keepdim: true);
            var s = train.shape[0] > 1 ? train.std(0, unbiased: false, keepdim: true) : ones_like(mean);
            std = where(s > 1e-8, s, ones_like(s));
        }
        else
        {
            mean = zeros([1, train.shape[1]], dtype: train.dtype, device: train.device);
            std = ones([1, train.shape[1]], dtype: train.dtype, device: train.device);
        }
        mean = mean.MoveToOuterDisposeScope();
        std = std.MoveToOuterDisposeScope();
    }

    /// <summary>Per-column mean <c>(1, d)</c> (zeros when disabled).</summary>
    public Tensor Mean => mean;

    /// <summary>Per-column standard deviation <c>(1, d)</c> (ones when disabled or for constant columns).</summary>
    public Tensor Std => std;

    /// <summary><c>(x − mean) / std</c>.</summary>
    public Tensor Forward(Tensor x) => (x - mean) / std;

    /// <summary><c>z · std + mean</c>.</summary>
    public Tensor Inverse(Tensor z) => z * std + mean;

    public void Dispose()
    {
        mean.Dispose();
        std.Dispose();
    }
}
