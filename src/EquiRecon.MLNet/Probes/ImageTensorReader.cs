using EquiRecon.MLNet.Images;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// Reads <see cref="MLImage"/> values into the tensors EquiRecon's encoders take: float RGB in [0, 1],
/// channels first. Images read from a cursor are not disposed here: the upstream getter (LoadImages, ResizeImages)
/// disposes the previous value itself, and in-memory images belong to their owner.
/// </summary>
internal static class ImageTensorReader
{
    private static readonly float[] Zero = [0f, 0f, 0f];
    private static readonly float[] One = [1f, 1f, 1f];

    /// <summary>Writes an image as float RGB in [0, 1], <c>(3, H, W)</c>, into <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidOperationException">The image is not <paramref name="height"/>×<paramref name="width"/>; the message names the column.</exception>
    public static void ToUnitChw(MLImage image, int height, int width, string columnName, Span<float> destination)
    {
        CheckSize(image, height, width, columnName);
        ImagePixels.ToNormalizedChw(image, Zero, One, destination);
    }

    /// <summary>One image as a batch <c>(1, 3, H, W)</c> of float RGB in [0, 1].</summary>
    public static Tensor ToTensor(MLImage image, int height, int width, string columnName)
    {
        float[] values = new float[3 * height * width];
        ToUnitChw(image, height, width, columnName, values);
        return tensor(values, [1, 3, height, width]);
    }

    /// <summary>
    /// Reads every non-missing image of <paramref name="column"/> into <c>(N, 3, H, W)</c> float RGB in [0, 1];
    /// rows whose image is missing are skipped.
    /// </summary>
    public static Tensor ReadImages(IDataView data, DataViewSchema.Column column, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(data);
        int plane = 3 * height * width;
        var values = new List<float>();
        using (var cursor = data.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<MLImage>(column);
            MLImage? image = null;
            float[] row = new float[plane];
            while (cursor.MoveNext())
            {
                getter(ref image!);
                if (image is null)
                    continue;
                ToUnitChw(image, height, width, column.Name, row);
                values.AddRange(row);
            }
        }

        return tensor(values.ToArray(), [values.Count / plane, 3, height, width]);
    }

    /// <summary>Throws when <paramref name="image"/> is not of the size the schema declared.</summary>
    public static void CheckSize(MLImage image, int height, int width, string columnName)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Height != height || image.Width != width)
        {
            throw new InvalidOperationException(
                $"Column '{columnName}' holds a {image.Height}x{image.Width} image; expected {height}x{width}.");
        }
    }
}
