using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests;

/// <summary>Tiny models and data for fast unit tests.</summary>
internal static class Tiny
{
    /// <summary>A 4-stage ResNet of widths 8, 8, 16, 16 (split 8 + 8): a 2×2 token map at 16 px.</summary>
    public static ResNetEncoderConfig Encoder { get; } = new(ResNetStem.Cifar, [8, 8, 16, 16], [1, 1, 1, 1]);

    public static HeadSizes Heads { get; } = new(ExpanderWidth: 32, ProjectorWidth: 16, Decoder: new ReconstructionDecoderOptions(Width: 16, Heads: 2, Depth: 1));

    public static MethodConfig Method(string name) => MethodRegistry.Get(name).WithHeadSizes(Heads);

    public static PretrainingOptions Options(int steps, int batch = 8) => new()
    {
        Steps = steps, BatchSize = batch, Seed = 3, Threads = 1, WarmupFraction = 0.25, ReportEvery = 1,
    };

    /// <summary>Random uint8 images with labels cycling through <paramref name="classes"/>.</summary>
    public static ImageDataset RandomImages(int count, int size = 16, int classes = 4, int seed = 5)
    {
        using var g = new torch.Generator((ulong)seed);
        var images = torch.randint(0, 256, [count, 3, size, size], generator: g).to(torch.ScalarType.Byte);
        var labels = torch.arange(count, dtype: torch.ScalarType.Int64) % classes;
        return new ImageDataset(images, labels, Enumerable.Range(0, classes).Select(i => "c" + i).ToArray());
    }

    /// <summary>Every tensor of the trainer's model (weights and BatchNorm statistics) as floats, by name.</summary>
    public static Dictionary<string, float[]> State(Pretrainer trainer) =>
        trainer.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(torch.ScalarType.Float32).data<float>().ToArray());

    /// <summary>Asserts two <see cref="State"/>s are bit-identical, tensor by tensor.</summary>
    public static void ShouldBeIdentical(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        a.Keys.Should().BeEquivalentTo(b.Keys);
        foreach (var key in a.Keys)
            a[key].Should().Equal(b[key], $"tensor {key} must be bit-identical");
    }
}
