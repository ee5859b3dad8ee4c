namespace EquiRecon.Onnx;

/// <summary>
/// PyTorch's bilinear resize with <c>antialias: true</c> and <c>align_corners: false</c> (what
/// <c>ResNetEncoder</c> applies to its <c>input_offset</c> when the input size differs), computed without libtorch: a
/// separable triangle filter whose support widens by the scale when shrinking, weights normalised per output pixel
/// (PyTorch's <c>_compute_weights_aa</c>), width first, then height.
/// </summary>
internal static class AntialiasedBilinear
{
    /// <summary>Resizes <paramref name="planes"/> images of <paramref name="inH"/> × <paramref name="inW"/> (row-major, one after the other) to <paramref name="outH"/> × <paramref name="outW"/>.</summary>
    public static float[] Resize(float[] values, int planes, int inH, int inW, int outH, int outW)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != planes * inH * inW)
            throw new ArgumentException($"Expected {planes} x {inH} x {inW} values, got {values.Length}.", nameof(values));
        var wx = Weights(inW, outW);
        var wy = Weights(inH, outH);
        var temp = new float[planes * inH * outW];
        for (var p = 0; p < planes; p++)
        {
            for (var y = 0; y < inH; y++)
            {
                var row = (p * inH + y) * inW;
                for (var x = 0; x < outW; x++)
                {
                    var (start, w) = wx[x];
                    var sum = 0f;
                    for (var k = 0; k < w.Length; k++)
                        sum += values[row + start + k] * w[k];
                    temp[(p * inH + y) * outW + x] = sum;
                }
            }
        }
        var result = new float[planes * outH * outW];
        for (var p = 0; p < planes; p++)
        {
            for (var y = 0; y < outH; y++)
            {
                var (start, w) = wy[y];
                for (var x = 0; x < outW; x++)
                {
                    var sum = 0f;
                    for (var k = 0; k < w.Length; k++)
                        sum += temp[(p * inH + start + k) * outW + x] * w[k];
                    result[(p * outH + y) * outW + x] = sum;
                }
            }
        }
        return result;
    }

    /// <summary>For each output index: the first input index and the normalised weights of the inputs it reads.</summary>
    private static (int Start, float[] Weights)[] Weights(int inputSize, int outputSize)
    {
        var scale = (float)inputSize / outputSize;
        const float interpSize = 2f; // bilinear
        var support = scale >= 1f ? interpSize * 0.5f * scale : interpSize * 0.5f;
        var invScale = scale >= 1f ? 1f / scale : 1f;
        var result = new (int, float[])[outputSize];
        for (var i = 0; i < outputSize; i++)
        {
            var center = scale * (i + 0.5f);
            var xmin = Math.Max((int)(center - support + 0.5f), 0);
            var xsize = Math.Min((int)(center + support + 0.5f), inputSize) - xmin;
            var w = new float[Math.Max(xsize, 0)];
            var total = 0f;
            for (var j = 0; j < w.Length; j++)
            {
                var t = Math.Abs((j + xmin - center + 0.5f) * invScale);
                w[j] = t < 1f ? 1f - t : 0f;
                total += w[j];
            }
            if (total != 0f)
            {
                for (var j = 0; j < w.Length; j++)
                    w[j] /= total;
            }
            result[i] = (xmin, w);
        }
        return result;
    }
}
