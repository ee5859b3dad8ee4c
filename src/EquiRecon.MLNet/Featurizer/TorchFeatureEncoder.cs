using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.MLNet.Featurizer;

/// <summary><see cref="InferenceRuntime.TorchSharp"/>: the encoder as a TorchSharp module (<see cref="PretrainedEncoder"/>, which serialises passes with a lock).</summary>
internal sealed class TorchFeatureEncoder(PretrainedEncoder encoder) : IFeatureEncoder
{
    public string Device => encoder.Device.ToString();

    public void Encode(PixelBatch batch, Span<float> pooled)
    {
        using var scope = torch.NewDisposeScope();
        var images = batch.ToTensor();
        var output = encoder.Encode(images);
        var values = output.Pooled.to(torch.ScalarType.Float32).cpu().contiguous();
        values.data<float>().CopyTo(pooled);
    }
}
