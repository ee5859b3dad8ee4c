using System.Globalization;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp;

/// <summary>How messages write a tensor's shape: the one helper behind every "got shape …" of the library.</summary>
internal static class TensorShapes
{
    /// <summary>The shape of <paramref name="tensor"/> as <c>[2, 3, 16, 16]</c>, or <c>(2, 3, 16, 16)</c> with <paramref name="parentheses"/>.</summary>
    public static string Shape(Tensor tensor, bool parentheses = false)
    {
        var dims = string.Join(", ", tensor.shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        return parentheses ? "(" + dims + ")" : "[" + dims + "]";
    }
}
