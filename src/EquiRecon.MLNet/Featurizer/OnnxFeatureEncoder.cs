using EquiRecon.Onnx;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML.OnnxRuntime;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// <see cref="InferenceRuntime.OnnxRuntime"/>: the encoder exported to ONNX in memory (<see cref="OnnxExport"/>, at the
/// model's input size, normalisation inside) and run by one ONNX Runtime session, whose <c>Run</c> is safe to call from
/// several threads. Touches no TorchSharp type, so it runs where no TorchSharp backend is installed.
/// </summary>
internal sealed class OnnxFeatureEncoder : IFeatureEncoder
{
    private static readonly string[] InputNames = [OnnxExport.InputName];
    private static readonly string[] OutputNames = [OnnxExport.InvariantOutputName, OnnxExport.EquivariantOutputName];

    private readonly InferenceSession _session;
    private readonly int _size;
    private readonly int _invariant;
    private readonly int _equivariant;

    public OnnxFeatureEncoder(InferenceSession session, string device, ModelManifest manifest)
    {
        _session = session;
        Device = device;
        _size = manifest.InputSize;
        _invariant = manifest.Encoder.InvariantChannels;
        _equivariant = manifest.Encoder.EquivariantChannels;
    }

    public string Device { get; }

    public void Encode(PixelBatch batch, Span<float> pooled)
    {
        int count = batch.Count;
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, batch.FloatPixels(), [count, 3, _size, _size]);
        using var runOptions = new RunOptions();
        using var outputs = _session.Run(runOptions, InputNames, [input], OutputNames);
        var invariant = outputs[0].GetTensorDataAsSpan<float>();
        var equivariant = outputs[1].GetTensorDataAsSpan<float>();
        int channels = _invariant + _equivariant;
        for (int row = 0; row < count; row++)
        {
            invariant.Slice(row * _invariant, _invariant).CopyTo(pooled.Slice(row * channels, _invariant));
            equivariant.Slice(row * _equivariant, _equivariant).CopyTo(pooled.Slice(row * channels + _invariant, _equivariant));
        }
    }
}
