using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using EquiRecon.MLNet.Tests.TestSupport;
using TorchSharp;

namespace EquiRecon.MLNet.Tests.Probes;

/// <summary>Small random-init encoders saved as model files, and in-memory image data for probe and segmentation tests.</summary>
internal static class ProbeTestSupport
{
    /// <summary>The small encoder of the tests: CIFAR stem, widths 8, 16, 32, 64, one block per stage (split 32 + 32), stride 8.</summary>
    public static ResNetEncoderConfig SmallEncoder { get; } = new(ResNetStem.Cifar, [8, 16, 32, 64], [1, 1, 1, 1]);

    /// <summary>
    /// Saves a random-init <see cref="SmallEncoder"/> (seeded) for 32 px images with the CIFAR-10 statistics. Also sets
    /// TorchSharp to one intra-op thread: on a shared 2-core machine, two OpenMP threads competing with other processes
    /// made fitting about 8 times slower.
    /// </summary>
    public static string SaveRandomEncoder(string path, int seed = 1, int inputSize = 32)
    {
        TorchNative.EnsureLoaded();
        torch.set_num_threads(1);
        torch.manual_seed(seed);
        using var encoder = new ResNetEncoder(SmallEncoder);
        ModelFile.Save(path, encoder, "random", inputSize, ImageTensors.Cifar10Mean, ImageTensors.Cifar10Std);
        return path;
    }

    /// <summary>A 32×32 image row.</summary>
    public sealed class ImageRow
    {
        [ImageType(32, 32)]
        public MLImage? Image { get; set; }
    }

    /// <summary>Two 32×32 image columns.</summary>
    public sealed class ImagePairRow
    {
        [ImageType(32, 32)]
        public MLImage? Image { get; set; }

        [ImageType(32, 32)]
        public MLImage? Transformed { get; set; }
    }

    /// <summary>The rotation output of a probe.</summary>
    public sealed class RotationOutput
    {
        [VectorType(1)]
        public float[] RotationParameters { get; set; } = [];
    }

    /// <summary>Deterministic random RGB images with smooth structure (so rotations are visible), Rgba32.</summary>
    public static MLImage[] RandomImages(int count, int size = 32, int seed = 3)
    {
        var random = new Random(seed);
        var images = new MLImage[count];
        for (int n = 0; n < count; n++)
        {
            double fx = 0.1 + (random.NextDouble() * 0.4), fy = 0.1 + (random.NextDouble() * 0.4), phase = random.NextDouble() * 6;
            byte[] pixels = new byte[size * size * 4];
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    int p = ((y * size) + x) * 4;
                    pixels[p] = (byte)(127 + (127 * Math.Sin((fx * x) + phase)));
                    pixels[p + 1] = (byte)(127 + (127 * Math.Cos((fy * y) - phase)));
                    pixels[p + 2] = (byte)(y < size / 3 ? 230 : random.Next(0, 80));
                    pixels[p + 3] = 255;
                }
            }

            images[n] = MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, pixels);
        }

        return images;
    }

    /// <summary>CIFAR-10 test JPEGs decoded into memory: <paramref name="perClass"/> per class after skipping <paramref name="skip"/>, classes interleaved.</summary>
    public static MLImage[] Cifar10Images(int skip, int perClass)
    {
        string[] classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];
        var byClass = classes
            .Select(c => SharedData.Cifar10TestImages(skip + perClass, c).Skip(skip).ToArray())
            .ToArray();
        var images = new List<MLImage>();
        for (int i = 0; i < perClass; i++)
            images.AddRange(byClass.Select(files => MLImage.CreateFromFile(files[i])));
        return [.. images];
    }

    /// <summary>Rotates images by known angles (degrees) with EquiRecon's rotation (the one the probe is fitted with), back to Rgba32 images.</summary>
    public static MLImage[] Rotate(IReadOnlyList<MLImage> images, float[] degrees)
    {
        TorchNative.EnsureLoaded();
        using var scope = torch.NewDisposeScope();
        int size = images[0].Height;
        var x = torch.stack(images.Select(image => ToTensor(image)).ToArray());
        var rotated = new RandomRotation().Apply(x, torch.tensor(degrees).view(-1, 1));
        var bytes = (rotated * 255).round().clamp(0, 255).to(torch.ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        var result = new MLImage[images.Count];
        for (int n = 0; n < images.Count; n++)
        {
            var rgb = bytes[n].data<byte>().ToArray();
            byte[] rgba = new byte[size * size * 4];
            for (int i = 0; i < size * size; i++)
                (rgba[4 * i], rgba[(4 * i) + 1], rgba[(4 * i) + 2], rgba[(4 * i) + 3]) = (rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2], 255);
            result[n] = MLImage.CreateFromPixels(size, size, MLPixelFormat.Rgba32, rgba);
        }

        return result;
    }

    /// <summary>An image as float RGB (3, H, W) in [0, 1].</summary>
    public static torch.Tensor ToTensor(MLImage image)
    {
        int h = image.Height, w = image.Width;
        (int r, int g, int b) = image.PixelFormat == MLPixelFormat.Bgra32 ? (2, 1, 0) : (0, 1, 2);
        var pixels = image.Pixels;
        float[] values = new float[3 * h * w];
        for (int i = 0; i < h * w; i++)
        {
            values[i] = pixels[(4 * i) + r] / 255f;
            values[(h * w) + i] = pixels[(4 * i) + g] / 255f;
            values[(2 * h * w) + i] = pixels[(4 * i) + b] / 255f;
        }

        return torch.tensor(values, [3, h, w]);
    }

    public static IDataView Data(MLContext mlContext, IEnumerable<MLImage> images)
        => mlContext.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Image = i }).ToArray());

    /// <summary>Reads a float vector column through a cursor (the batched path).</summary>
    public static float[][] ReadColumn(IDataView data, string column)
        => TinyModel.ReadColumn(data, column);

    /// <summary>R² (one output) of predictions against targets.</summary>
    public static double RSquared(IReadOnlyList<float> predicted, IReadOnlyList<float> target)
    {
        double mean = target.Average(v => (double)v);
        double res = 0, tot = 0;
        for (int i = 0; i < target.Count; i++)
        {
            res += Math.Pow(target[i] - predicted[i], 2);
            tot += Math.Pow(target[i] - mean, 2);
        }

        return 1 - (res / tot);
    }
}

/// <summary>A theory that is skipped (with the reason shown) when <c>shared/data/cifar10</c> is absent.</summary>
public sealed class Cifar10TheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public Cifar10TheoryAttribute()
    {
        if (SharedData.Cifar10Test is null)
            Skip = "shared/data/cifar10 was not found above " + AppContext.BaseDirectory;
    }
}
