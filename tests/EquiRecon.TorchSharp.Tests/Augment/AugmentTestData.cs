using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Augment;

/// <summary>Tiny test images and helpers for the augmentation tests.</summary>
internal static class AugmentTestData
{
    /// <summary>Uniform random images (B, 3, H, W) in [0, 1) from a seeded generator.</summary>
    public static Tensor RandomImages(int batch, int height = 16, int width = 16, long seed = 7)
    {
        TorchNative.EnsureLoaded();
        using var generator = new Generator((ulong)seed);
        return torch.rand([batch, 3, height, width], generator: generator);
    }

    /// <summary>Smooth images (B, 3, H, W) in [0.1, 0.9]: a low-frequency sine pattern, different per image and channel.</summary>
    public static Tensor SmoothImages(int batch, int height = 16, int width = 16)
    {
        TorchNative.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        var y = torch.arange(height, ScalarType.Float32).view(1, 1, height, 1) / height;
        var x = torch.arange(width, ScalarType.Float32).view(1, 1, 1, width) / width;
        var phase = torch.arange(batch * 3, ScalarType.Float32).view(batch, 3, 1, 1) * 0.7;
        var result = 0.5 + 0.4 * torch.sin(2 * Math.PI * (0.6 * x + 0.4 * y) + phase);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Whether two tensors have the same shape and exactly the same values (TorchSharp's torch.equal is element-wise).</summary>
    public static bool Identical(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape))
            return false;
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }

    /// <summary>The largest absolute difference between two tensors.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().max();
        return d.item<float>();
    }

    /// <summary>The mean absolute difference between two tensors.</summary>
    public static double MeanAbsDiff(Tensor a, Tensor b)
    {
        using var d = (a - b).abs().mean();
        return d.item<float>();
    }

    /// <summary>A (B, k) float32 parameter tensor from rows.</summary>
    public static Tensor Params(params float[][] rows) =>
        torch.tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], ScalarType.Float32);

    /// <summary>Every augmentation with its default options.</summary>
    public static IAugmentation[] All() =>
    [
        new RandomRotation(), new ColorJitter(), new GaussianBlur(), new RandomTranslation(),
        new RandomResizedCrop(), new RandomHorizontalFlip(),
    ];

    /// <summary>The kinds, as xunit theory data.</summary>
    public static TheoryData<TransformKind> Kinds()
    {
        var data = new TheoryData<TransformKind>();
        foreach (var kind in Enum.GetValues<TransformKind>())
            data.Add(kind);
        return data;
    }

    /// <summary>The default augmentation of <paramref name="kind"/>.</summary>
    public static IAugmentation Of(TransformKind kind) => All().Single(a => a.Kind == kind);
}
