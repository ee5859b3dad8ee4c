using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.TensorShapes;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// Coefficient of determination R² of predictions <c>(N, k)</c> against targets <c>(N, k)</c>, in the two
/// definitions found in the literature (they differ when the target columns have different means or scales):
/// <list type="bullet">
/// <item><see cref="Global(Tensor, Tensor)"/>: SIE's definition, <c>1 − SS_res / SS_tot</c> with one mean over all
/// <c>N·k</c> target entries (facebookresearch/SIE <c>r2_score</c>).</item>
/// <item><see cref="PerOutputMean(Tensor, Tensor)"/>: scikit-learn's <c>r2_score(..., multioutput="uniform_average")</c>,
/// the R² of every column with its own mean, then their plain average.</item>
/// </list>
/// Both are computed in float64; a one-dimensional input of shape <c>(N)</c> is treated as <c>(N, 1)</c>.
/// A zero denominator is handled like scikit-learn (<c>force_finite</c>): R² is 1 when the prediction is
/// perfect and 0 otherwise.
/// </summary>
public static class RSquared
{
    /// <summary>SIE's R²: <c>1 − Σ(y − ŷ)² / Σ(y − ȳ)²</c> with <c>ȳ</c> the mean over all entries of the target.</summary>
    /// <param name="predicted">Predictions, shape <c>(N, k)</c> or <c>(N)</c>.</param>
    /// <param name="target">Targets, same shape as <paramref name="predicted"/>.</param>
    /// <returns>R² (1 is perfect; it can be negative).</returns>
    public static double Global(Tensor predicted, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (p, t) = Prepare(predicted, target);
        var ssRes = (t - p).square().sum().item<double>();
        var ssTot = (t - t.mean()).square().sum().item<double>();
        return Score(ssRes, ssTot);
    }

    /// <summary>scikit-learn's R² (<c>uniform_average</c>): the mean over columns of <see cref="PerOutput(Tensor, Tensor)"/>.</summary>
    /// <param name="predicted">Predictions, shape <c>(N, k)</c> or <c>(N)</c>.</param>
    /// <param name="target">Targets, same shape as <paramref name="predicted"/>.</param>
    /// <returns>The average of the per-column R² values.</returns>
    public static double PerOutputMean(Tensor predicted, Tensor target) => PerOutput(predicted, target).Average();

    /// <summary>The R² of every column (scikit-learn's <c>multioutput="raw_values"</c>), each with its own column mean.</summary>
    /// <param name="predicted">Predictions, shape <c>(N, k)</c> or <c>(N)</c>.</param>
    /// <param name="target">Targets, same shape as <paramref name="predicted"/>.</param>
    /// <returns>k values.</returns>
    public static double[] PerOutput(Tensor predicted, Tensor target)
    {
        using var scope = NewDisposeScope();
        var (p, t) = Prepare(predicted, target);
        var ssRes = (t - p).square().sum(0L).cpu().data<double>().ToArray();
        var ssTot = (t - t.mean([0L], keepdim: true)).square().sum(0L).cpu().data<double>().ToArray();
        var result = new double[ssRes.Length];
        for (var j = 0; j < result.Length; j++)
            result[j] = Score(ssRes[j], ssTot[j]);
        return result;
    }

    /// <summary>SIE's R² of host arrays; see <see cref="Global(Tensor, Tensor)"/>.</summary>
    /// <param name="predicted">Predictions, <c>[N, k]</c>.</param>
    /// <param name="target">Targets, <c>[N, k]</c>.</param>
    /// <returns>R².</returns>
    public static double Global(double[,] predicted, double[,] target)
    {
        using var scope = NewDisposeScope();
        return Global(ToTensor(predicted, nameof(predicted)), ToTensor(target, nameof(target)));
    }

    /// <summary>scikit-learn's R² of host arrays; see <see cref="PerOutputMean(Tensor, Tensor)"/>.</summary>
    /// <param name="predicted">Predictions, <c>[N, k]</c>.</param>
    /// <param name="target">Targets, <c>[N, k]</c>.</param>
    /// <returns>The average of the per-column R² values.</returns>
    public static double PerOutputMean(double[,] predicted, double[,] target)
    {
        using var scope = NewDisposeScope();
        return PerOutputMean(ToTensor(predicted, nameof(predicted)), ToTensor(target, nameof(target)));
    }

    private static double Score(double ssRes, double ssTot)
    {
        if (ssTot != 0)
            return 1 - ssRes / ssTot;
        return ssRes == 0 ? 1 : 0;
    }

    private static Tensor ToTensor(double[,] values, string name)
    {
        ArgumentNullException.ThrowIfNull(values, name);
        TorchNative.EnsureLoaded();
        return tensor(values);
    }

    private static (Tensor Predicted, Tensor Target) Prepare(Tensor predicted, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(target);
        if (!predicted.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"Predictions and targets must have the same shape: predicted has shape {Shape(predicted)}, target has shape {Shape(target)}.", nameof(predicted));
        if (target.ndim is not (1 or 2))
            throw new ArgumentException($"Expected shape (N, k) or (N), got shape {Shape(target)}.", nameof(target));
        if (target.shape[0] < 2)
            throw new ArgumentException($"R² needs at least 2 samples, got shape {Shape(target)}.", nameof(target));
        var p = predicted.detach().to(ScalarType.Float64);
        var t = target.detach().to(ScalarType.Float64);
        return target.ndim == 1 ? (p.unsqueeze(1), t.unsqueeze(1)) : (p, t);
    }
}
