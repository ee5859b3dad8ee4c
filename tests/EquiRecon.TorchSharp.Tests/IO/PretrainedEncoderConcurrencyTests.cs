using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.IO;

/// <summary>One <see cref="PretrainedEncoder"/> shared by several threads encodes in parallel and gives each the features it gets alone (issue 28).</summary>
public sealed class PretrainedEncoderConcurrencyTests
{
    [Fact]
    public void Concurrent_encodes_on_one_encoder_equal_sequential_ones()
    {
        using var temp = new TempDir();
        manual_seed(21);
        using (var module = new ResNetEncoder(Tiny.Encoder))
            ModelFile.Save(temp.File("tiny.equirecon"), module, "random", 16, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        using var encoder = ModelFile.Load(temp.File("tiny.equirecon"));
        const int threads = 8;
        var batches = Enumerable.Range(0, threads).Select(i =>
        {
            using var g = new Generator((ulong)i + 1);
            return randint(0, 256, [4, 3, 16, 16], generator: g).to(ScalarType.Byte).DetachFromDisposeScope();
        }).ToArray();
        var sequential = batches.Select(b => { using var o = encoder.Encode(b).Pooled; return o.data<float>().ToArray(); }).ToArray();

        var concurrent = new float[threads][][];
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            concurrent[i] = Enumerable.Range(0, 20).Select(_ => { using var o = encoder.Encode(batches[i]).Pooled; return o.data<float>().ToArray(); }).ToArray();
        });

        for (var i = 0; i < threads; i++)
            foreach (var repeat in concurrent[i])
                repeat.Should().Equal(sequential[i], (a, b) => Math.Abs(a - b) <= 1e-5f * (1 + Math.Abs(b)),
                    $"thread {i} sees the features of a sequential pass (up to the kernels' thread-count rounding): no pass disturbs another");
        foreach (var b in batches)
            b.Dispose();
    }
}
