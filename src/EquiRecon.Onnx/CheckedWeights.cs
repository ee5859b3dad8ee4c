using System.Globalization;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Onnx;

/// <summary>
/// A state dict read without libtorch and checked against the exact set of tensors a module registers, each with its
/// dtype and shape: a <see cref="ResNetEncoder"/>'s (<see cref="Expected(ResNetEncoderConfig)"/>: torchvision's names,
/// <c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer2.0.downsample.0.weight</c>, …, and <c>input_offset</c> when the
/// configuration has one) or a regression probe head's. Every check fails with a <see cref="ModelFileException"/> naming
/// the source and the tensor.
/// </summary>
internal sealed class CheckedWeights
{
    private readonly IReadOnlyDictionary<string, TorchStateDict.Entry> state;
    private readonly ResNetEncoderConfig? config;
    private readonly string source;
    private readonly HashSet<string> used = new(StringComparer.Ordinal);

    /// <summary>The weights of an encoder of <paramref name="config"/>.</summary>
    public CheckedWeights(ResNetEncoderConfig config, IReadOnlyDictionary<string, TorchStateDict.Entry> state, string source)
        : this(Expected(config), state, source)
    {
        this.config = config;
    }

    /// <summary>The weights of a module registering exactly <paramref name="expected"/>.</summary>
    public CheckedWeights(IReadOnlyDictionary<string, (int Dtype, long[] Shape)> expected, IReadOnlyDictionary<string, TorchStateDict.Entry> state, string source)
    {
        this.state = state;
        this.source = source;
        var missing = expected.Keys.Where(k => !state.ContainsKey(k)).ToArray();
        var extra = state.Keys.Where(k => !expected.ContainsKey(k)).ToArray();
        if (missing.Length > 0 || extra.Length > 0)
        {
            throw Fail($"the weights hold {state.Count} tensors, the encoder in the manifest has {expected.Count}" +
                (missing.Length > 0 ? $"; missing: {string.Join(", ", missing.Take(8))}{(missing.Length > 8 ? ", …" : "")}" : "") +
                (extra.Length > 0 ? $"; unexpected: {string.Join(", ", extra.Take(8))}{(extra.Length > 8 ? ", …" : "")}" : ""));
        }
        foreach (var (name, (dtype, shape)) in expected)
        {
            var e = state[name];
            if (e.DtypeCode != dtype)
                throw Fail($"'{name}' has TorchSharp dtype code {e.DtypeCode}, expected {dtype} ({(dtype == TorchStateDict.Float32Code ? "float32" : "int64")})");
            if (!e.Shape.SequenceEqual(shape))
                throw Fail($"'{name}' has shape {e.ShapeText}, expected [{string.Join(", ", shape)}]");
            if (e.Floats is { } values && values.Any(v => !float.IsFinite(v)))
                throw Fail($"'{name}' holds non-finite values");
        }
    }

    /// <summary>A float32 tensor's values and shape (marks it used).</summary>
    public float[] Float(string name, out long[] shape)
    {
        var e = state[name];
        used.Add(name);
        shape = e.Shape;
        return e.Floats!;
    }

    /// <summary>Marks a tensor the graph does not need (batch norms' counters) as accounted for.</summary>
    public void Use(string name)
    {
        if (!state.ContainsKey(name))
            throw Fail($"'{name}' is missing");
        used.Add(name);
    }

    /// <summary>The input offset <c>(3, S, S)</c> at <paramref name="size"/>: as stored, or resized like the encoder does (bilinear, antialiased).</summary>
    public float[] InputOffset(int size)
    {
        var stored = Float("input_offset", out _);
        var o = config!.InputOffsetSize;
        return o == size ? stored : AntialiasedBilinear.Resize(stored, ResNetEncoder.InputChannels, o, o, size, size);
    }

    /// <summary>Throws unless every tensor went into the graph (a guard against an exporter that forgets one).</summary>
    public void CheckAllUsed()
    {
        var unused = state.Keys.Where(k => !used.Contains(k)).ToArray();
        if (unused.Length > 0)
            throw new InvalidOperationException($"{source}: the ONNX export did not use {string.Join(", ", unused)}; this is a bug of the exporter.");
    }

    /// <summary>Every tensor a <see cref="ResNetEncoder"/> of <paramref name="config"/> registers, with its dtype code and shape.</summary>
    internal static Dictionary<string, (int Dtype, long[] Shape)> Expected(ResNetEncoderConfig config) => TorchStateDict.ExpectedEncoder(config);

    private ModelFileException Fail(string message) => new($"{source}: {message}.");
}
