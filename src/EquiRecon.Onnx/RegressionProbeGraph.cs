using System.Buffers.Binary;
using System.Globalization;
using EquiRecon.TorchSharp.IO;
using Onnx;

namespace EquiRecon.Onnx;

/// <summary>
/// The ONNX graph of a fitted regression probe head (<c>RegressionProbeModel.ToBytes</c>: a header — magic <c>RRP1</c>,
/// format version 1, <c>d</c>, hidden, <c>k</c> as int32, batch norm as one byte — then its state dict in TorchSharp's
/// format), read without libtorch: standardise, <c>Linear → [BatchNorm1d] → ReLU</c> twice, <c>Linear</c>, back to the
/// targets' units. Batch norms are folded into the Linear before them.
/// </summary>
internal static class RegressionProbeGraph
{
    private const int Magic = 0x31505252; // "RRP1", RegressionProbeModel's.
    private const int FormatVersion = 1;
    private const int HeaderBytes = 21;
    private const double BatchNormEpsilon = 1e-5; // TorchSharp's BatchNorm1d default.

    /// <exception cref="FormatException">The bytes are not a regression probe of format version 1, or its weights do not match its header.</exception>
    public static ModelProto Build(byte[] bytes, string source)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadInt32LittleEndian(bytes) != Magic)
            throw new FormatException($"{source}: the bytes are not a regression probe (wrong magic number or too short).");
        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4));
        if (version != FormatVersion)
            throw new FormatException($"{source}: regression probe format version {version.ToString(CultureInfo.InvariantCulture)} is not supported; this exporter reads version {FormatVersion}.");
        var d = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(8));
        var hidden = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(12));
        var k = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16));
        var batchNorm = bytes[20] != 0;
        if (d < 1 || hidden < 1 || k < 1)
            throw new FormatException($"{source}: the regression probe header has invalid sizes d = {d}, hidden = {hidden}, k = {k}.");

        CheckedWeights w;
        try
        {
            w = new CheckedWeights(Expected(d, hidden, k, batchNorm), TorchStateDict.Read(bytes.AsSpan(HeaderBytes), source), source);
        }
        catch (ModelFileException e)
        {
            throw new FormatException($"The regression probe weights do not match its header: {e.Message}", e);
        }

        var g = new OnnxGraphWriter();
        g.Graph.Name = "equirecon_regression_probe";
        g.Graph.Input.Add(OnnxGraphWriter.FloatTensor(OnnxExport.ProbeInputName, OnnxExport.BatchDimension, d));
        var x = g.Node("Sub", [OnnxExport.ProbeInputName, g.Floats("input_mean", w.Float("input_mean", out _), 1, d)]);
        x = g.Node("Div", [x, g.Floats("input_std", w.Float("input_std", out _), 1, d)]);
        for (var i = 1; i <= 3; i++)
        {
            var fc = $"mlp.fc{i}";
            var weight = w.Float(fc + ".weight", out var shape);
            var bias = w.Float(fc + ".bias", out _);
            if (i < 3 && batchNorm)
                (weight, bias) = Fold(w, $"mlp.bn{i}", weight, bias, (int)shape[0], (int)shape[1]);
            x = g.Node("Gemm", [x, g.Floats(fc + ".weight", weight, shape), g.Floats(fc + ".bias", bias, shape[0])], null, OnnxGraphWriter.Int("transB", 1));
            if (i < 3)
                x = g.Node("Relu", [x]);
        }
        x = g.Node("Mul", [x, g.Floats("target_std", w.Float("target_std", out _), 1, k)]);
        g.Node("Add", [x, g.Floats("target_mean", w.Float("target_mean", out _), 1, k)], OnnxExport.ProbeOutputName);
        g.Graph.Output.Add(OnnxGraphWriter.FloatTensor(OnnxExport.ProbeOutputName, OnnxExport.BatchDimension, k));
        w.CheckAllUsed();

        var model = new ModelProto
        {
            IrVersion = OnnxExport.IrVersion,
            ProducerName = "EquiRecon.Onnx",
            ProducerVersion = ModelFile.LibraryVersion,
            Graph = g.Graph,
            DocString = $"EquiRecon regression probe head: '{OnnxExport.ProbeInputName}' N x {d} features to '{OnnxExport.ProbeOutputName}' N x {k} (MLP {d}-{hidden}-{hidden}-{k}{(batchNorm ? ", batch norm folded" : "")}).",
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OnnxExport.OpsetVersion });
        return model;
    }

    /// <summary>BatchNorm1d after a Linear <c>(out, in)</c> folded into it.</summary>
    private static (float[] Weight, float[] Bias) Fold(CheckedWeights w, string bn, float[] weight, float[] bias, int outputs, int inputs)
    {
        var gamma = w.Float(bn + ".weight", out _);
        var beta = w.Float(bn + ".bias", out _);
        var mean = w.Float(bn + ".running_mean", out _);
        var variance = w.Float(bn + ".running_var", out _);
        w.Use(bn + ".num_batches_tracked");
        var folded = new float[weight.Length];
        var foldedBias = new float[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var s = gamma[o] / Math.Sqrt(variance[o] + BatchNormEpsilon);
            for (var i = 0; i < inputs; i++)
                folded[o * inputs + i] = (float)(weight[o * inputs + i] * s);
            foldedBias[o] = (float)((bias[o] - mean[o]) * s + beta[o]);
        }
        return (folded, foldedBias);
    }

    /// <summary>The tensors <c>RegressionProbeModel</c> registers.</summary>
    private static Dictionary<string, (int Dtype, long[] Shape)> Expected(int d, int hidden, int k, bool batchNorm)
    {
        const int f32 = TorchStateDict.Float32Code;
        var result = new Dictionary<string, (int, long[])>(StringComparer.Ordinal)
        {
            ["input_mean"] = (f32, [1, d]),
            ["input_std"] = (f32, [1, d]),
            ["target_mean"] = (f32, [1, k]),
            ["target_std"] = (f32, [1, k]),
            ["mlp.fc1.weight"] = (f32, [hidden, d]),
            ["mlp.fc1.bias"] = (f32, [hidden]),
            ["mlp.fc2.weight"] = (f32, [hidden, hidden]),
            ["mlp.fc2.bias"] = (f32, [hidden]),
            ["mlp.fc3.weight"] = (f32, [k, hidden]),
            ["mlp.fc3.bias"] = (f32, [k]),
        };
        if (batchNorm)
        {
            for (var i = 1; i <= 2; i++)
            {
                foreach (var p in new[] { "weight", "bias", "running_mean", "running_var" })
                    result[$"mlp.bn{i}.{p}"] = (f32, [hidden]);
                result[$"mlp.bn{i}.num_batches_tracked"] = (TorchStateDict.Int64Code, []);
            }
        }
        return result;
    }
}
