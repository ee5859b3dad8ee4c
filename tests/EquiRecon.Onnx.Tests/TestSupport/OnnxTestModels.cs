using System.Diagnostics;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using Tensor = TorchSharp.torch.Tensor;

namespace EquiRecon.Onnx.Tests;

/// <summary>Encoders with random weights (random batch-norm statistics and input offset too), image data, ONNX Runtime runs and comparisons.</summary>
internal static class OnnxTestModels
{
    /// <summary>Writes a model file of preset <paramref name="preset"/> with random weights: conv weights as initialised,
    /// batch norms with random affine parameters and running statistics, a random input offset when the preset has one.</summary>
    public static string RandomModelFile(TempDir dir, string preset, int inputSize, int seed = 1)
    {
        var config = EncoderNames.Get(preset);
        torch.manual_seed(seed);
        using var encoder = EncoderFactory.Create(config);
        using (torch.no_grad())
        {
            foreach (var (name, t) in encoder.state_dict())
            {
                if (name.EndsWith(".running_mean", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal))
                    t.copy_(torch.randn_like(t) * 0.1);
                else if (name.EndsWith(".running_var", StringComparison.Ordinal))
                    t.copy_(torch.rand_like(t) + 0.5);
                else if (name.EndsWith(".weight", StringComparison.Ordinal) && t.dim() == 1)
                    t.copy_(torch.rand_like(t) + 0.5);
                else if (name == "input_offset")
                    t.copy_(torch.randn_like(t) * 0.2);
            }
        }
        var path = dir.File(preset + "-" + inputSize + ".equirecon");
        ModelFile.Save(path, encoder, ModelManifest.RandomMethod, inputSize, [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
        return path;
    }

    /// <summary>The default encoder shipped in EquiRecon.TorchSharp, written to a file.</summary>
    public static string DefaultModelFile(TempDir dir)
    {
        var path = dir.File("default.equirecon");
        File.WriteAllBytes(path, DefaultEncoder.ReadBytes());
        return path;
    }

    /// <summary>The first <paramref name="perClass"/> test images of each CIFAR-10 class (32 px), or of each Imagenette class at <paramref name="size"/> px.</summary>
    public static ImageDataset Images(string root, int size, int perClass) => ImageFolder.Read(root, imageSize: size, limitPerClass: perClass);

    /// <summary>TorchSharp's forward (PretrainedEncoder.Encode on uint8 pixels) in batches: pooled (N·C) and tokens (N·T·C).</summary>
    public static (float[] Pooled, float[] Tokens) TorchForward(string modelFile, Tensor images, int batch)
    {
        using var encoder = ModelFile.Load(modelFile);
        var pooled = new List<float>();
        var tokens = new List<float>();
        var n = images.shape[0];
        for (long start = 0; start < n; start += batch)
        {
            using var scope = torch.NewDisposeScope();
            var output = encoder.Encode(images.narrow(0, start, Math.Min(batch, n - start)));
            pooled.AddRange(output.Pooled.contiguous().data<float>().ToArray());
            tokens.AddRange(output.Tokens.contiguous().data<float>().ToArray());
        }
        return (pooled.ToArray(), tokens.ToArray());
    }

    /// <summary>ONNX Runtime's forward in batches: invariant and equivariant concatenated per row (N·C), tokens (N·T·C).</summary>
    public static (float[] Pooled, float[] Tokens) OrtForward(InferenceSession session, float[] pixels, int n, int size, int batch)
    {
        var rowLength = 3 * size * size;
        var pooled = new List<float>();
        var tokens = new List<float>();
        for (var start = 0; start < n; start += batch)
        {
            var count = Math.Min(batch, n - start);
            var input = new DenseTensor<float>(pixels.AsMemory(start * rowLength, count * rowLength), [count, 3, size, size]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
            var inv = results.Single(r => r.Name == OnnxExport.InvariantOutputName).AsTensor<float>();
            var eqv = results.Single(r => r.Name == OnnxExport.EquivariantOutputName).AsTensor<float>();
            var tok = results.Single(r => r.Name == OnnxExport.TokensOutputName).AsTensor<float>();
            for (var i = 0; i < count; i++)
            {
                for (var c = 0; c < inv.Dimensions[1]; c++)
                    pooled.Add(inv[i, c]);
                for (var c = 0; c < eqv.Dimensions[1]; c++)
                    pooled.Add(eqv[i, c]);
            }
            tokens.AddRange(tok.ToArray());
        }
        return (pooled.ToArray(), tokens.ToArray());
    }

    /// <summary>Float pixels 0–255 of uint8 images.</summary>
    public static float[] Pixels(Tensor images) => images.to(torch.float32).contiguous().data<float>().ToArray();

    /// <summary>
    /// The largest per-row relative difference: for each of <paramref name="rows"/> rows, <c>max |a − b| / max |b|</c>
    /// over the row (a row being one image's pooled vector or token map).
    /// </summary>
    public static double WorstRelative(float[] actual, float[] expected, int rows)
    {
        actual.Length.Should().Be(expected.Length);
        var length = expected.Length / rows;
        var worst = 0.0;
        for (var r = 0; r < rows; r++)
        {
            double diff = 0, scale = 0;
            for (var k = r * length; k < (r + 1) * length; k++)
            {
                diff = Math.Max(diff, Math.Abs(actual[k] - expected[k]));
                scale = Math.Max(scale, Math.Abs(expected[k]));
            }
            worst = Math.Max(worst, diff / Math.Max(scale, 1e-12));
        }
        return worst;
    }

    /// <summary>A session on <paramref name="onnx"/> with default options.</summary>
    public static InferenceSession Session(byte[] onnx) => new(onnx);

    /// <summary>Seconds since <paramref name="watch"/> started, for the test log.</summary>
    public static string Seconds(Stopwatch watch) => FormattableString.Invariant($"{watch.Elapsed.TotalSeconds:F1} s");
}
