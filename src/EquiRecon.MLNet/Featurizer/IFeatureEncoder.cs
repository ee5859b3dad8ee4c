namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// The featurizer's forward pass, whichever <see cref="InferenceRuntime"/> computes it: a batch of pixels in, the pooled
/// representation out. Implementations are safe to call from several threads at once.
/// </summary>
internal interface IFeatureEncoder
{
    /// <summary>The device the passes run on, e.g. <c>cpu</c> or <c>cuda:0</c>.</summary>
    string Device { get; }

    /// <summary>Encodes the <c>batch.Count</c> rows of <paramref name="batch"/> into <paramref name="pooled"/>
    /// (<c>Count · C</c> values, row-major, invariant channels first). Missing rows are handled by the caller.</summary>
    void Encode(PixelBatch batch, Span<float> pooled);
}
