using EquiRecon.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>The LoadImages → ResizeImages → NormalizeImagePixels pipeline the tests run, and its data.</summary>
internal static class PixelPipeline
{
    public const string PathColumn = "ImagePath";
    public const int Size = 32;
    public const int OutputLength = 3 * Size * Size;

    public sealed class ImageInput
    {
        public string ImagePath { get; set; } = "";
    }

    public sealed class PixelsOutput
    {
        [VectorType(OutputLength)]
        public float[] Pixels { get; set; } = [];
    }

    public static IDataView Data(MLContext mlContext, IEnumerable<string> paths)
        => mlContext.Data.LoadFromEnumerable(paths.Select(p => new ImageInput { ImagePath = p }).ToArray());

    public static IEstimator<ITransformer> Create(MLContext mlContext, NormalizeImagePixelsOptions? options = null)
        => mlContext.Transforms.LoadImages(EquiReconColumnNames.Image, imageFolder: null, inputColumnName: PathColumn)
            .Append(mlContext.Transforms.ResizeImages(EquiReconColumnNames.Image, Size, Size))
            .Append(options is null
                ? mlContext.Transforms.EquiRecon().NormalizeImagePixels()
                : mlContext.Transforms.EquiRecon().NormalizeImagePixels(options));

    /// <summary>Reads a float vector column through a cursor (the batched path).</summary>
    public static float[][] ReadColumn(IDataView data, string column = EquiReconColumnNames.Pixels)
        => TinyModel.ReadColumn(data, column);
}
