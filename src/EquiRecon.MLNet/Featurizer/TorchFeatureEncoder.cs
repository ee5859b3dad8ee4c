using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// <see cref="InferenceRuntime.TorchSharp"/>: the encoder as a TorchSharp module (<see cref="PretrainedEncoder"/>; concurrent
/// passes run in parallel). With <c>threads</c> set, each pass runs with that many libtorch intra-op threads on the
/// calling thread, and the thread's previous setting is restored after it.
/// </summary>
internal sealed class TorchFeatureEncoder(PretrainedEncoder encoder, int? threads) : IFeatureEncoder
{
    public string Device => encoder.Device.ToString();

    public void Encode(PixelBatch batch, Span<float> pooled)
    {
        using var scope = torch.NewDisposeScope();
        var images = batch.ToTensor();
        var values = Forward(images).to(torch.ScalarType.Float32).cpu().contiguous();
        values.data<float>().CopyTo(pooled);
    }

    private torch.Tensor Forward(torch.Tensor images)
    {
        using var _ = Runtime.TorchThreads.Use(threads);
        return encoder.Encode(images).Pooled;
    }
}
