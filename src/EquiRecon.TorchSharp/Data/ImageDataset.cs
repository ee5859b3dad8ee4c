using System.Globalization;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.TensorShapes;

namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Decoded images kept as one uint8 tensor <c>(N, 3, H, W)</c> with int64 labels <c>(N)</c> (−1 for unlabelled
/// samples). Datasets are decoded once; batches are gathered with <c>index_select</c>. The dataset owns its
/// tensors: dispose it (or let a dispose scope do so) when done.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    /// <summary>Creates a dataset; checks dtypes and shapes.</summary>
    /// <param name="images">uint8 images, shape <c>(N, 3, H, W)</c>.</param>
    /// <param name="labels">int64 class indices in <c>[0, K)</c> or −1, shape <c>(N)</c>.</param>
    /// <param name="classNames">The K class names, index = label.</param>
    public ImageDataset(Tensor images, Tensor labels, IReadOnlyList<string> classNames)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(classNames);
        if (images.dtype != ScalarType.Byte || images.ndim != 4 || images.shape[1] != 3)
            throw new ArgumentException($"Expected uint8 images of shape (N, 3, H, W), got {images.dtype} of shape {Shape(images)}.", nameof(images));
        if (labels.dtype != ScalarType.Int64 || labels.ndim != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"Expected int64 labels of shape ({images.shape[0]}), got {labels.dtype} of shape {Shape(labels)}.", nameof(labels));
        Images = images;
        Labels = labels;
        ClassNames = classNames.ToArray();
    }

    /// <summary>The images, uint8, shape <c>(N, 3, H, W)</c>, RGB.</summary>
    public Tensor Images { get; }

    /// <summary>The labels, int64, shape <c>(N)</c>; −1 marks an unlabelled sample.</summary>
    public Tensor Labels { get; }

    /// <summary>Class names, index = label.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Number of samples N.</summary>
    public int Count => checked((int)Images.shape[0]);

    /// <summary>Image height H.</summary>
    public int Height => checked((int)Images.shape[2]);

    /// <summary>Image width W.</summary>
    public int Width => checked((int)Images.shape[3]);

    /// <summary>A new dataset with the samples at <paramref name="indices"/> (copied).</summary>
    /// <param name="indices">int64 indices, shape <c>(M)</c>.</param>
    /// <returns>A dataset of M samples with the same class names.</returns>
    public ImageDataset Subset(Tensor indices)
    {
        var (images, labels) = Batch(indices);
        return new ImageDataset(images, labels, ClassNames);
    }

    /// <summary>A new dataset with the first <paramref name="count"/> samples (views sharing this dataset's memory).</summary>
    /// <param name="count">Number of samples, <c>0 ≤ count ≤ N</c>.</param>
    /// <returns>A dataset of <paramref name="count"/> samples.</returns>
    public ImageDataset Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        return new ImageDataset(Images.narrow(0, 0, count), Labels.narrow(0, 0, count), ClassNames);
    }

    /// <summary>Gathers a batch; indices on another device than the images are moved to the images' device (out-of-range indices make libtorch throw).</summary>
    /// <param name="indices">int64 indices, shape <c>(B)</c>.</param>
    /// <returns>Images uint8 <c>(B, 3, H, W)</c> and labels int64 <c>(B)</c>.</returns>
    public (Tensor Images, Tensor Labels) Batch(Tensor indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.ndim != 1 || indices.dtype != ScalarType.Int64)
            throw new ArgumentException($"Expected int64 indices of shape (B), got {indices.dtype} of shape {Shape(indices)}.", nameof(indices));
        using var scope = NewDisposeScope();
        var index = indices.to(Images.device);
        var images = Images.index_select(0, index);
        var labels = Labels.index_select(0, index.to(Labels.device));
        return (images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope());
    }

    /// <summary>A copy of this dataset on <paramref name="device"/> (for example to gather batches on the GPU).</summary>
    /// <param name="device">The target device.</param>
    /// <returns>A new dataset; this one is unchanged.</returns>
    public ImageDataset To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new ImageDataset(Images.to(device, copy: true), Labels.to(device, copy: true), ClassNames);
    }

    /// <summary>Disposes the image and label tensors.</summary>
    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}
