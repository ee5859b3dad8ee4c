using EquiRecon.MLNet.Featurizer;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;
using TorchSharp;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>
/// A tiny EquiRecon encoder for fast tests (CIFAR stem, widths 8, 8, 16, 16, one block per stage, 8 + 8 channels) at
/// 32 px, written as a model file with random weights; and the LoadImages → ResizeImages → featurizer pipeline over it.
/// </summary>
internal static class TinyModel
{
    public const int Size = 32;
    public const int Invariant = 8;
    public const int Equivariant = 8;
    public const string PathColumn = "ImagePath";

    public static ResNetEncoderConfig Encoder { get; } = new(ResNetStem.Cifar, [8, 8, 16, 16], [1, 1, 1, 1]);

    /// <summary>Small heads for pretraining tests.</summary>
    public static HeadSizes Heads { get; } = new(ExpanderWidth: 32, ProjectorWidth: 16, Decoder: new ReconstructionDecoderOptions(Width: 16, Heads: 2, Depth: 1));

    /// <summary>Writes a model file with the tiny encoder's random initialization (seeded) and returns its path.</summary>
    public static string Write(string path, int seed = 7)
    {
        torch.manual_seed(seed);
        using var encoder = EncoderFactory.Create(Encoder);
        ModelFile.Save(path, encoder, "random", Size, ImageTensors.Cifar10Mean, ImageTensors.Cifar10Std,
            new Dictionary<string, string> { ["purpose"] = "EquiRecon.MLNet tests" });
        return path;
    }

    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    public sealed class FeaturesOutput
    {
        [VectorType(TinyModel.Invariant)]
        public float[] Invariant { get; set; } = [];

        [VectorType(TinyModel.Equivariant)]
        public float[] Equivariant { get; set; } = [];
    }

    public static IDataView Data(MLContext mlContext, IEnumerable<string> paths)
        => mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }).ToArray());

    /// <summary>LoadImages → ResizeImages(size) over <see cref="PathColumn"/> into <c>"Image"</c>.</summary>
    public static IEstimator<ITransformer> Images(MLContext mlContext, int size = Size)
        => mlContext.Transforms.LoadImages(EquiReconColumnNames.Image, imageFolder: null, inputColumnName: PathColumn)
            .Append(mlContext.Transforms.ResizeImages(EquiReconColumnNames.Image, size, size));

    /// <summary>LoadImages → ResizeImages → featurizer.</summary>
    public static IEstimator<ITransformer> Pipeline(MLContext mlContext, EquiReconFeaturizerOptions options)
        => Images(mlContext).Append(mlContext.Transforms.EquiRecon().FeaturizeImage(options));

    /// <summary>Reads a float vector column through a cursor (the batched path).</summary>
    public static float[][] ReadColumn(IDataView data, string column)
    {
        var rows = new List<float[]>();
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            rows.Add(buffer.DenseValues().ToArray());
        }

        return [.. rows];
    }

    /// <summary>The pooled representation <c>(N, C)</c> of image files by a raw batched forward of the encoder (no ML.NET).</summary>
    public static float[][] RawForward(string modelFile, IReadOnlyList<string> paths)
    {
        using var encoder = ModelFile.Load(modelFile);
        int size = encoder.InputSize;
        var pixels = new byte[paths.Count * 3 * size * size];
        for (int n = 0; n < paths.Count; n++)
        {
            using var bitmap = SKBitmap.Decode(paths[n]);
            bitmap.Width.Should().Be(size);
            bitmap.Height.Should().Be(size);
            for (int y = 0; y < size; y++)
            {
                for (int x = 0; x < size; x++)
                {
                    var color = bitmap.GetPixel(x, y);
                    int at = (n * 3 * size * size) + (y * size) + x;
                    pixels[at] = color.Red;
                    pixels[at + (size * size)] = color.Green;
                    pixels[at + (2 * size * size)] = color.Blue;
                }
            }
        }

        using var scope = torch.NewDisposeScope();
        var images = torch.tensor(pixels, [paths.Count, 3, size, size], torch.ScalarType.Byte);
        var pooled = encoder.Encode(images).Pooled.cpu();
        int channels = (int)pooled.shape[1];
        var flat = pooled.data<float>().ToArray();
        return Enumerable.Range(0, paths.Count).Select(n => flat.AsSpan(n * channels, channels).ToArray()).ToArray();
    }

    /// <summary>Asserts two lists of rows are equal within <paramref name="tolerance"/>.</summary>
    public static void ShouldMatch(IReadOnlyList<float[]> actual, IReadOnlyList<float[]> expected, float tolerance, string because)
    {
        actual.Should().HaveCount(expected.Count, because);
        for (int i = 0; i < expected.Count; i++)
            actual[i].Should().Equal(expected[i], (a, e) => Math.Abs(a - e) <= tolerance, $"{because}: row {i}");
    }
}
