using System.Globalization;
using EquiRecon.MLNet.Images;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>
/// Collects the encoder input of up to <see cref="Capacity"/> rows read from one row (or cursor) of a data view,
/// reading the input column once per row, and turns them into one batch tensor <c>(B, 3, S, S)</c>.
/// </summary>
/// <remarks>
/// Image columns become uint8 batches in [0, 255]; float vector columns (channels-first RGB in [0, 255], the layout
/// of <c>ExtractPixels</c> with its defaults) become float batches divided by 255, so that both give the encoder the
/// same [0, 1] values for the same pixels. A missing value (a <see langword="null"/> image, or an empty vector) is
/// recorded as missing; its slot holds zeros.
/// </remarks>
internal abstract class PixelBatch : IDisposable
{
    private readonly bool[] _missing;

    private PixelBatch(string columnName, int size, int capacity)
    {
        ColumnName = columnName;
        Size = size;
        Capacity = capacity;
        _missing = new bool[capacity];
    }

    /// <summary>The input column's name, for messages.</summary>
    public string ColumnName { get; }

    /// <summary>The side <c>S</c> of the square images.</summary>
    public int Size { get; }

    /// <summary>Values per row, <c>3 · S · S</c>.</summary>
    public int RowLength => ImagePixels.Channels * Size * Size;

    /// <summary>Rows the batch can hold.</summary>
    public int Capacity { get; }

    /// <summary>Rows read since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Whether the row in <paramref name="slot"/> had no value.</summary>
    public bool IsMissing(int slot) => _missing[slot];

    /// <summary>Whether every row read is missing (then no forward pass is needed).</summary>
    public bool AllMissing => _missing.AsSpan(0, Count).IndexOf(false) < 0;

    /// <summary>
    /// The batch for the input column of <paramref name="row"/>: an image column of <paramref name="size"/> ×
    /// <paramref name="size"/> pixels or a float vector column of <c>3 · size · size</c> values (already validated).
    /// </summary>
    public static PixelBatch Create(DataViewRow row, DataViewSchema.Column column, int size, int capacity)
    {
        ArgumentNullException.ThrowIfNull(row);
        return column.Type is ImageDataViewType
            ? new ImageBatch(row.GetGetter<MLImage>(column), column.Name, size, capacity)
            : new VectorBatch(row.GetGetter<VBuffer<float>>(column), column.Name, size, capacity);
    }

    /// <summary>Empties the batch.</summary>
    public void Clear() => Count = 0;

    /// <summary>Reads the current row's input value into the next slot.</summary>
    /// <exception cref="InvalidOperationException">The batch is full, or the value has the wrong size.</exception>
    public void ReadCurrentRow()
    {
        if (Count == Capacity)
            throw new InvalidOperationException("The pixel batch is full.");
        _missing[Count] = !Read(Count);
        Count++;
    }

    /// <summary>The rows read so far as one tensor <c>(Count, 3, S, S)</c> on the CPU: uint8 in [0, 255] or float32 in [0, 1].</summary>
    public abstract Tensor ToTensor();

    /// <summary>
    /// The rows read so far as float32 values in [0, 255], <c>(Count, 3, S, S)</c> row-major (the exported ONNX encoder's
    /// input), in a buffer the batch owns and overwrites on the next call. Touches no TorchSharp type.
    /// </summary>
    public abstract Memory<float> FloatPixels();

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the batch holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Reads the current row's value into <paramref name="slot"/>; false when it is missing (the slot is then zeros).</summary>
    private protected abstract bool Read(int slot);

    private long[] Shape => [Count, ImagePixels.Channels, Size, Size];

    /// <summary>Image column: pixels copied as channels-first RGB bytes.</summary>
    private sealed class ImageBatch : PixelBatch
    {
        private readonly ValueGetter<MLImage> _getImage;
        private readonly byte[] _pixels;
        private MLImage? _image;

        public ImageBatch(ValueGetter<MLImage> getImage, string columnName, int size, int capacity)
            : base(columnName, size, capacity)
        {
            _getImage = getImage;
            _pixels = new byte[capacity * RowLength];
        }

        private protected override bool Read(int slot)
        {
            // ML.NET's image getters dispose the image passed by reference: keep the last one for them, and
            // dispose it ourselves with the batch.
            _getImage(ref _image!);
            var destination = _pixels.AsSpan(slot * RowLength, RowLength);
            if (_image is null || ImagePixels.IsDisposed(_image))
            {
                destination.Clear();
                return false;
            }

            if (_image.Height != Size || _image.Width != Size)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Column '{ColumnName}' holds a {_image.Height}x{_image.Width} image; the encoder takes {Size}x{Size} images (add ResizeImages({Size}, {Size}))."));
            }

            ImagePixels.ToChwBytes(_image, destination);
            return true;
        }

        public override Tensor ToTensor() => torch.tensor(_pixels, Shape, ScalarType.Byte);

        private float[]? _floats;

        public override Memory<float> FloatPixels()
        {
            _floats ??= new float[_pixels.Length];
            int length = Count * RowLength;
            for (int i = 0; i < length; i++)
                _floats[i] = _pixels[i];
            return _floats.AsMemory(0, length);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _image?.Dispose();
                _image = null;
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Float vector column: values copied as they are, divided by 255 in the tensor.</summary>
    private sealed class VectorBatch : PixelBatch
    {
        private readonly ValueGetter<VBuffer<float>> _getVector;
        private readonly float[] _pixels;
        private VBuffer<float> _vector;

        public VectorBatch(ValueGetter<VBuffer<float>> getVector, string columnName, int size, int capacity)
            : base(columnName, size, capacity)
        {
            _getVector = getVector;
            _pixels = new float[capacity * RowLength];
        }

        private protected override bool Read(int slot)
        {
            _getVector(ref _vector);
            var destination = _pixels.AsSpan(slot * RowLength, RowLength);
            if (_vector.Length == 0)
            {
                destination.Clear();
                return false;
            }

            if (_vector.Length != RowLength)
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"Column '{ColumnName}' holds a vector of {_vector.Length} values; the encoder takes (3, {Size}, {Size}) = {RowLength}."));
            }

            _vector.CopyTo(destination);
            return true;
        }

        public override Memory<float> FloatPixels() => _pixels.AsMemory(0, Count * RowLength);

        public override Tensor ToTensor()
        {
            using var scope = NewDisposeScope();
            var result = torch.tensor(_pixels, Shape, ScalarType.Float32).div_(255f);
            return result.MoveToOuterDisposeScope();
        }
    }
}
