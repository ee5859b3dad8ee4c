using EquiRecon.MLNet.Probes;
using Microsoft.ML;
using Microsoft.ML.Data;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Segmentation;

/// <summary>Reads (image, mask) rows into the tensors the segmentation trainer takes; rows missing either are skipped.</summary>
internal static class MaskedImageReader
{
    /// <summary>Images <c>(N, 3, H, W)</c> float RGB in [0, 1] and classes <c>(N, H, W)</c> int64.</summary>
    /// <exception cref="InvalidOperationException">An image or mask has another size than the schema says, or a mask pixel maps to no class.</exception>
    public static (Tensor Images, Tensor Labels) Read(IDataView data, DataViewSchema.Column imageColumn, DataViewSchema.Column maskColumn,
        int height, int width, MaskToClass maskToClass)
    {
        int pixels = height * width;
        var images = new List<float[]>();
        var labels = new List<long[]>();
        using (var cursor = data.GetRowCursor([imageColumn, maskColumn]))
        {
            var getImage = cursor.GetGetter<MLImage>(imageColumn);
            var getMask = cursor.GetGetter<MLImage>(maskColumn);
            MLImage? image = null, mask = null;
            while (cursor.MoveNext())
            {
                getImage(ref image!);
                getMask(ref mask!);
                if (image is null || mask is null)
                    continue;
                float[] rgb = new float[3 * pixels];
                ImageTensorReader.ToUnitChw(image, height, width, imageColumn.Name, rgb);
                ImageTensorReader.CheckSize(mask, height, width, maskColumn.Name);
                long[] classes = new long[pixels];
                maskToClass.ToClasses(mask, maskColumn.Name, classes);
                images.Add(rgb);
                labels.Add(classes);
            }
        }

        int count = images.Count;
        float[] allImages = new float[count * 3 * pixels];
        long[] allLabels = new long[count * pixels];
        for (int i = 0; i < count; i++)
        {
            images[i].CopyTo(allImages, i * 3 * pixels);
            labels[i].CopyTo(allLabels, i * pixels);
        }

        return (tensor(allImages, [count, 3, height, width]), tensor(allLabels, [count, height, width]));
    }
}
