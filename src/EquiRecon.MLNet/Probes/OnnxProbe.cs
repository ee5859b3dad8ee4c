using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Images;
using EquiRecon.MLNet.Runtime;
using EquiRecon.Onnx;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// A transformation probe's prediction on ONNX Runtime (<see cref="InferenceRuntime.OnnxRuntime"/>): the encoder and the
/// fitted head, each exported to ONNX in memory, run in two sessions; the probe's features — the chosen part of the
/// pooled representation or of the tokens (token-major, as <c>ProbeFeatureExtractor</c> flattens them), and in
/// <see cref="ProbeMode.BetweenColumns"/> both images' features side by side — are assembled in between. Touches no
/// TorchSharp type; sessions are safe to call from several threads.
/// </summary>
internal sealed class OnnxProbe
{
    private readonly InferenceSession _encoder;
    private readonly InferenceSession _head;
    private readonly int _size;
    private readonly int _invariant;
    private readonly int _channels;
    private readonly int _tokens;
    private readonly RepresentationPart _part;
    private readonly ProbeFeatures _features;
    private readonly ProbeMode _mode;

    public OnnxProbe(IHostEnvironment env, byte[] modelFileBytes, byte[] headBytes, RepresentationPart part, ProbeFeatures features, ProbeMode mode, int outputSize, string component)
    {
        var manifest = ModelFile.ReadManifest(modelFileBytes, EmbeddedSourceName);
        _size = manifest.InputSize;
        _invariant = manifest.Encoder.InvariantChannels;
        _channels = _invariant + manifest.Encoder.EquivariantChannels;
        int grid = EncoderSpecs.ToConfig(manifest.Encoder).TokenGridSize(_size);
        _tokens = grid * grid;
        _part = part;
        _features = features;
        _mode = mode;
        int partChannels = part switch
        {
            RepresentationPart.Invariant => _invariant,
            RepresentationPart.Equivariant => _channels - _invariant,
            _ => _channels,
        };
        FeatureDimension = (features == ProbeFeatures.Pooled ? partChannels : _tokens * partChannels) * (mode == ProbeMode.BetweenColumns ? 2 : 1);
        // The probe runs on the CPU, like its TorchSharp path.
        (_encoder, _) = OnnxSessions.Create(env, OnnxExport.ExportEncoderToBytes(modelFileBytes, sourceName: EmbeddedSourceName), fallbackToCpu: true, component, cpuOnly: true);
        (_head, _) = OnnxSessions.Create(env, OnnxExport.ExportRegressionProbeToBytes(headBytes, "the probe head embedded in the ML.NET model"), fallbackToCpu: true, component, cpuOnly: true);
        var headInput = _head.InputMetadata[OnnxExport.ProbeInputName].Dimensions;
        var headOutput = _head.OutputMetadata[OnnxExport.ProbeOutputName].Dimensions;
        if (headInput[1] != FeatureDimension || headOutput[1] != outputSize)
            throw new FormatException($"The probe head maps {headInput[1]} features to {headOutput[1]} values; this probe needs {FeatureDimension} to {outputSize}.");
    }

    private const string EmbeddedSourceName = EncoderSource.EmbeddedSource;

    /// <summary>Features per sample, <c>d</c> (both images' in <see cref="ProbeMode.BetweenColumns"/>).</summary>
    public int FeatureDimension { get; }

    /// <summary>Predicts the parameters of one row (images already checked to be present) into <paramref name="destination"/>.</summary>
    public void Predict(MLImage image, MLImage? transformed, string imageColumn, string? transformedColumn, float[] destination)
    {
        int images = _mode == ProbeMode.BetweenColumns ? 2 : 1;
        int row = 3 * _size * _size;
        var pixels = new float[images * row];
        var bytes = new byte[row];
        ImageTensorReader.CheckSize(image, _size, _size, imageColumn);
        ImagePixels.ToChwBytes(image, bytes);
        for (int i = 0; i < row; i++)
            pixels[i] = bytes[i];
        if (images == 2)
        {
            ImageTensorReader.CheckSize(transformed!, _size, _size, transformedColumn!);
            ImagePixels.ToChwBytes(transformed!, bytes);
            for (int i = 0; i < row; i++)
                pixels[row + i] = bytes[i];
        }

        var features = new float[FeatureDimension];
        using (var input = OrtValue.CreateTensorValueFromMemory(pixels, [images, 3, _size, _size]))
        using (var runOptions = new RunOptions())
        {
            string[] outputs = _features == ProbeFeatures.Pooled
                ? [OnnxExport.InvariantOutputName, OnnxExport.EquivariantOutputName]
                : [OnnxExport.TokensOutputName];
            using var results = _encoder.Run(runOptions, [OnnxExport.InputName], [input], outputs);
            int perImage = FeatureDimension / images;
            for (int n = 0; n < images; n++)
            {
                var target = features.AsSpan(n * perImage, perImage);
                if (_features == ProbeFeatures.Pooled)
                    SelectPooled(results[0].GetTensorDataAsSpan<float>(), results[1].GetTensorDataAsSpan<float>(), n, target);
                else
                    SelectTokens(results[0].GetTensorDataAsSpan<float>().Slice(n * _tokens * _channels, _tokens * _channels), target);
            }
        }

        using var headInput = OrtValue.CreateTensorValueFromMemory(features, [1, FeatureDimension]);
        using var headRun = new RunOptions();
        using var predicted = _head.Run(headRun, [OnnxExport.ProbeInputName], [headInput], [OnnxExport.ProbeOutputName]);
        predicted[0].GetTensorDataAsSpan<float>().CopyTo(destination);
    }

    private void SelectPooled(ReadOnlySpan<float> invariant, ReadOnlySpan<float> equivariant, int n, Span<float> target)
    {
        int equivariantChannels = _channels - _invariant;
        var inv = invariant.Slice(n * _invariant, _invariant);
        var eqv = equivariant.Slice(n * equivariantChannels, equivariantChannels);
        switch (_part)
        {
            case RepresentationPart.Invariant:
                inv.CopyTo(target);
                break;
            case RepresentationPart.Equivariant:
                eqv.CopyTo(target);
                break;
            default:
                inv.CopyTo(target);
                eqv.CopyTo(target[_invariant..]);
                break;
        }
    }

    /// <summary>The chosen channels of each token, token after token (<c>(T, C_part)</c> flattened).</summary>
    private void SelectTokens(ReadOnlySpan<float> tokens, Span<float> target)
    {
        var (start, length) = _part switch
        {
            RepresentationPart.Invariant => (0, _invariant),
            RepresentationPart.Equivariant => (_invariant, _channels - _invariant),
            _ => (0, _channels),
        };
        for (int t = 0; t < _tokens; t++)
            tokens.Slice(t * _channels + start, length).CopyTo(target.Slice(t * length, length));
    }
}
