using System.Diagnostics;
using System.Globalization;
using EquiRecon.MLNet;
using EquiRecon.MLNet.Segmentation;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;
using static TorchSharp.torch;

namespace EquiRecon.Cli.Running;

/// <summary>Settings of <see cref="CamVidTransfer.Evaluate"/>: the working image size, the subsets and the segmentation head.</summary>
internal sealed record CamVidSettings
{
    /// <summary>
    /// Shorter side (the height, CamVid is landscape) of the working images in pixels; the width keeps the images' aspect
    /// ratio (480 × 360 → <c>round(ImageSize · 4 / 3)</c>, e.g. 128 → 128 × 171). Null (default): the model file's input
    /// size (128 for the ImageNet-stem ResNet-18, 32 for the CIFAR encoders). At least 8.
    /// </summary>
    public int? ImageSize { get; init; }

    /// <summary>Training images, evenly spaced over <c>splits/train.txt</c>; null (default) for all of them (367).</summary>
    public int? TrainImages { get; init; }

    /// <summary>Test images, evenly spaced over <c>splits/test.txt</c>; null (default) for all of them (233).</summary>
    public int? TestImages { get; init; }

    /// <summary>
    /// Passes of the head over the training images. Default 30 (the token-map probe is cheap per epoch; with class-balanced
    /// weights it needs about this many passes to leave the majority classes).
    /// </summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Adam learning rate of the head. Default 3e-3 (the segmentation step's default).</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>Images per optimisation step of the head. Default 16 (the segmentation step's default).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>
    /// Width of the head's hidden convolutions. Default 16 (the step's default); the head's full-resolution 3×3
    /// convolution costs in proportion to its square, and dominates the fitting time at 128 × 171.
    /// </summary>
    public int HiddenWidth { get; init; } = 16;

    /// <summary>
    /// When false (default), the head is a probe of the encoder's token map alone: 1×1 convolutions on the token grid,
    /// logits upsampled bilinearly to the working size. It scores the encoder, not the head's use of raw pixels, and is
    /// cheap per epoch. When true, the step's one-level U-Net skip refines the upsampled features with the image at full
    /// resolution (sharper boundaries, but a 3×3 convolution over every pixel each epoch, and on 128 × 171 CamVid images
    /// it was seen to collapse to one class within 8 epochs with a random ResNet-18).
    /// </summary>
    public bool ImageSkip { get; init; }

    /// <summary>
    /// Integer factor (1 to 8) by which the working images are upsampled before the encoder (a finer token grid at
    /// <c>scale²</c> times the encoder's cost). Default 1.
    /// </summary>
    public int EncoderScale { get; init; } = 1;

    /// <summary>Class-balanced cross-entropy (inverse pixel frequency), which helps the thin classes (pole, sign, pedestrian). Default true.</summary>
    public bool BalanceClasses { get; init; } = true;

    /// <summary>Throws a <see cref="CliException"/> naming the first setting out of range.</summary>
    /// <exception cref="CliException">A setting is out of range.</exception>
    public void Validate()
    {
        static void AtLeast(int? value, int minimum, string name)
        {
            if (value is int v && v < minimum)
                throw new CliException(string.Create(CultureInfo.InvariantCulture, $"CamVid setting '{name}' must be at least {minimum}, got {v}."));
        }

        AtLeast(ImageSize, 8, nameof(ImageSize));
        AtLeast(TrainImages, 1, nameof(TrainImages));
        AtLeast(TestImages, 1, nameof(TestImages));
        AtLeast(Epochs, 1, nameof(Epochs));
        AtLeast(BatchSize, 1, nameof(BatchSize));
        AtLeast(HiddenWidth, 1, nameof(HiddenWidth));
        AtLeast(EncoderScale, 1, nameof(EncoderScale));
        if (EncoderScale > 8)
            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"CamVid setting '{nameof(EncoderScale)}' must be at most 8, got {EncoderScale}."));
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new CliException(string.Create(CultureInfo.InvariantCulture, $"CamVid setting '{nameof(LearningRate)}' must be positive and finite, got {LearningRate}."));
    }
}

/// <summary>The CamVid score of one encoder.</summary>
/// <param name="MeanIoU">Mean IoU over the 11 CamVid classes whose union is not empty (void pixels ignored), in [0, 1].</param>
/// <param name="PixelAccuracy">Fraction of non-void pixels predicted correctly, in [0, 1].</param>
/// <param name="PerClassIoU">IoU of classes 0 … 10 (<see cref="CamVidTransfer.ClassNames"/>); NaN for a class that is neither in the truth nor predicted.</param>
/// <param name="TrainImages">Training images the head was fitted on.</param>
/// <param name="TestImages">Test images scored.</param>
/// <param name="Seconds">Wall-clock time of the whole evaluation (reading, fitting, predicting, scoring).</param>
/// <param name="Height">Working image height in pixels (what the encoder and head saw).</param>
/// <param name="Width">Working image width in pixels.</param>
internal sealed record CamVidScore(double MeanIoU, double PixelAccuracy, IReadOnlyList<double> PerClassIoU, int TrainImages, int TestImages,
    double Seconds, int Height, int Width);

/// <summary>
/// Semantic segmentation transfer on CamVid (road scenes, 11 classes, SegNet's split) through EquiRecon's ML.NET
/// segmentation step: <c>mlContext.Transforms.EquiRecon().Segmentation(...)</c> fits a light head on the FROZEN encoder of
/// a model file from the training split, the fitted transformer labels the test split, and the predicted class maps are
/// scored by mean IoU and pixel accuracy.
/// </summary>
/// <remarks>
/// <para><b>Layout</b> (<c>camvidDir</c>): <c>images/&lt;id&gt;.jpg</c> (480 × 360 RGB), <c>masks/&lt;id&gt;.png</c> (8-bit,
/// value = class index 0 … 10, 11 = void), <c>splits/train.txt</c> and <c>splits/test.txt</c> (one id per line). A missing
/// split file, image or mask, a mask of another size than its image, a mask that is not greyscale, or a mask value above
/// 11 is a <see cref="CliException"/> naming the file; the whole layout is checked before any training.</para>
/// <para><b>Image size: whole images resized, not tiles.</b> Each image is resized (bilinear with antialiasing, as the
/// image-folder reader prepares pretraining images) to <see cref="CamVidSettings.ImageSize"/> high — by default the
/// encoder's input size — keeping the 4 : 3 aspect ratio (128 → 128 × 171). The step accepts any fixed size (the
/// ResNets are fully convolutional), so no crop is needed and every object keeps its full scene context, which matters
/// for road scenes (sky above, road below); tiling the 480 × 360 frames at the encoder's size would cost about ten
/// times as many encoder passes on 2 CPU cores and cut cars and buildings at tile borders. Training masks are resized
/// to the same size by nearest neighbour (pixel centres), so they keep exact class values.</para>
/// <para><b>Classes and void.</b> The step's <see cref="MaskToClass"/> has no ignore value, so the head is fitted on
/// <see cref="MaskClasses"/> = 12 classes, <see cref="Void"/> (11) among them (<see cref="MaskToClass.Identity"/>). Scoring follows the CamVid protocol at the masks' own resolution
/// (480 × 360): the predicted map is upsampled by nearest neighbour, pixels whose true class is void are skipped, and
/// IoU is computed for the <see cref="Classes"/> = 11 real classes. <see cref="SegmentationMetrics"/> has no ignore index,
/// so the confusion matrix is computed here; a void prediction on a non-void pixel counts as a miss of the true class
/// (a false negative for it, a false positive for none of the 11). Mean IoU averages the classes whose union is not
/// empty (all 11 on the full test split).</para>
/// <para><b>Head.</b> By default a probe of the frozen token map (<see cref="CamVidSettings.ImageSkip"/> false: 1×1
/// convolutions, logits upsampled bilinearly), 16 wide, 30 epochs of Adam at 3e-3, class-balanced; it measures what
/// the encoder's features carry rather than what a head can read from raw pixels, which is what a transfer table
/// compares. At 128 px an ImageNet-stem ResNet-18 gives a 4 × 6 token grid (stride 32), so thin classes (pole, sign)
/// score low for every encoder; <see cref="CamVidSettings.EncoderScale"/> 2 halves the stride at four times the
/// encoder's cost.</para>
/// <para><b>Cost.</b> The encoder runs once per training image (frozen features are reused every epoch) and once per
/// test image (the fitted transformer labels rows one at a time); the head's epochs work at the working resolution.
/// <c>Benchmark_a_random_ResNet18_on_the_full_split</c> in the CLI tests measures the full split.</para>
/// </remarks>
internal static class CamVidTransfer
{
    /// <summary>The real CamVid classes scored: 0 … 10.</summary>
    public const int Classes = 11;

    /// <summary>The mask value of unlabelled (void) pixels, ignored in the scores.</summary>
    public const byte Void = 11;

    /// <summary>Classes of the masks as the head is fitted on them: the 11 classes and void.</summary>
    public const int MaskClasses = Classes + 1;

    /// <summary>The names of classes 0 … 10.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["sky", "building", "pole", "road", "pavement", "tree", "sign/symbol", "fence", "car", "pedestrian", "bicyclist"];

    private const string ImagesFolder = "images";
    private const string MasksFolder = "masks";
    private const string SplitsFolder = "splits";
    private const string ImageExtension = ".jpg";
    private const string MaskExtension = ".png";

    /// <summary>
    /// Fits the segmentation head on the training split (or its subset) with the frozen encoder of
    /// <paramref name="modelFile"/> and scores the test split (or its subset).
    /// </summary>
    /// <param name="modelFile">An EquiRecon model file (<see cref="ModelFile"/>).</param>
    /// <param name="camvidDir">The CamVid folder (see the class remarks for its layout).</param>
    /// <param name="settings">Working size, subsets and head training.</param>
    /// <param name="seed">Seed of the ML.NET context and of the head's weights and shuffling.</param>
    /// <param name="log">Receives progress lines; null for none.</param>
    /// <returns>The scores and the time taken.</returns>
    /// <exception cref="CliException">A setting is out of range, the model file is missing or invalid, or the CamVid folder's layout is wrong; the message names the option, folder or file.</exception>
    public static CamVidScore Evaluate(string modelFile, string camvidDir, CamVidSettings settings, int seed, Action<string>? log)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFile);
        ArgumentException.ThrowIfNullOrWhiteSpace(camvidDir);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var stopwatch = Stopwatch.StartNew();

        if (!Directory.Exists(camvidDir))
            throw new CliException($"CamVid folder '{camvidDir}' does not exist. Expected images/<id>.jpg, masks/<id>.png and splits/train.txt, splits/test.txt.");
        var train = Pick(ReadSplit(camvidDir, "train"), settings.TrainImages);
        var test = Pick(ReadSplit(camvidDir, "test"), settings.TestImages);
        foreach (var id in train.Concat(test))
            RequireFiles(camvidDir, id);
        ModelManifest manifest;
        try
        {
            manifest = ModelFile.ReadManifest(modelFile);
        }
        catch (ModelFileException e)
        {
            throw new CliException(e.Message, e);
        }

        int height = settings.ImageSize ?? manifest.InputSize;
        int width = WidthFor(camvidDir, train[0], height);
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"CamVid: {train.Count} train and {test.Count} test images at {width} × {height} px, head {settings.HiddenWidth} wide, {settings.Epochs} epochs, {manifest.Encoder.Stem}-stem encoder of {Path.GetFileName(modelFile)}."));

        // Test masks are read (and checked) before training, so a bad file fails fast.
        var testRows = new List<ImageRow>(test.Count);
        var testMasks = new List<ClassMap>(test.Count);
        var trainRows = new List<MaskedRow>(train.Count);
        try
        {
            foreach (var id in test)
            {
                var (image, mask) = ReadPair(camvidDir, id);
                testMasks.Add(mask);
                testRows.Add(new ImageRow { Image = image.Resize(height, width) });
            }

            foreach (var id in train)
            {
                var (image, mask) = ReadPair(camvidDir, id);
                trainRows.Add(new MaskedRow { Image = image.Resize(height, width), Mask = mask.ResizeNearest(height, width).ToGreyImage() });
            }

            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"CamVid: read the images in {stopwatch.Elapsed.TotalSeconds:F1} s; fitting the head."));

            var mlContext = new MLContext(seed);
            var options = new EquiReconSegmentationOptions
            {
                ModelFile = modelFile,
                ImageColumnName = nameof(MaskedRow.Image),
                MaskColumnName = nameof(MaskedRow.Mask),
                MaskToClass = MaskToClass.Identity(MaskClasses),
                Epochs = settings.Epochs,
                LearningRate = settings.LearningRate,
                BatchSize = settings.BatchSize,
                HiddenWidth = settings.HiddenWidth,
                EncoderScale = settings.EncoderScale,
                ImageSkip = settings.ImageSkip,
                BalanceClasses = settings.BalanceClasses,
                Seed = seed,
            };
            var trainData = mlContext.Data.LoadFromEnumerable(trainRows, Schema<MaskedRow>(height, width, nameof(MaskedRow.Image), nameof(MaskedRow.Mask)));
            var model = mlContext.Transforms.EquiRecon().Segmentation(options).Fit(trainData);
            log?.Invoke(string.Create(CultureInfo.InvariantCulture, $"CamVid: fitted the head at {stopwatch.Elapsed.TotalSeconds:F1} s; labelling the test images."));

            var predictions = model.Transform(mlContext.Data.LoadFromEnumerable(testRows, Schema<ImageRow>(height, width, nameof(ImageRow.Image))));
            var confusion = new long[Classes, MaskClasses];
            var column = predictions.Schema[options.OutputColumnName];
            using (var cursor = predictions.GetRowCursor([column]))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(column);
                VBuffer<float> values = default;
                int row = 0;
                while (cursor.MoveNext())
                {
                    getter(ref values);
                    var predicted = new ClassMap(height, width, ToClasses(values.DenseValues().ToArray(), height * width, test[row]));
                    Accumulate(confusion, predicted, testMasks[row]);
                    row++;
                }
            }

            var (meanIoU, accuracy, perClass) = Score(confusion);
            var seconds = stopwatch.Elapsed.TotalSeconds;
            log?.Invoke(string.Create(CultureInfo.InvariantCulture,
                $"CamVid: mIoU {meanIoU:F4}, pixel accuracy {accuracy:F4} in {seconds:F1} s; IoU {string.Join(", ", perClass.Select((v, i) => $"{ClassNames[i]} {v:F3}"))}."));
            return new CamVidScore(meanIoU, accuracy, perClass, train.Count, test.Count, seconds, height, width);
        }
        finally
        {
            foreach (var row in trainRows)
            {
                row.Image?.Dispose();
                row.Mask?.Dispose();
            }

            foreach (var row in testRows)
                row.Image?.Dispose();
        }
    }

    /// <summary>
    /// Adds the pixels of <paramref name="truth"/> (at its own resolution) to <paramref name="confusion"/>
    /// <c>[Classes, MaskClasses]</c> (true class by row, predicted class by column), with <paramref name="predicted"/>
    /// resampled to that resolution by nearest neighbour; void pixels of the truth are skipped.
    /// </summary>
    internal static void Accumulate(long[,] confusion, ClassMap predicted, ClassMap truth)
    {
        var (rows, columns) = (SourceIndices(truth.Height, predicted.Height), SourceIndices(truth.Width, predicted.Width));
        for (int y = 0; y < truth.Height; y++)
        {
            int truthRow = y * truth.Width, predictedRow = rows[y] * predicted.Width;
            for (int x = 0; x < truth.Width; x++)
            {
                byte target = truth.Values[truthRow + x];
                if (target == Void)
                    continue;
                confusion[target, predicted.Values[predictedRow + columns[x]]]++;
            }
        }
    }

    /// <summary>
    /// Mean IoU over the real classes whose union is not empty, pixel accuracy over non-void pixels, and the IoU of each
    /// real class (NaN for an empty union) from a confusion matrix <c>[Classes, MaskClasses]</c>. Void predictions (the
    /// last column) are misses of the true class and false positives for no class.
    /// </summary>
    /// <exception cref="InvalidOperationException">No non-void pixel was scored.</exception>
    internal static (double MeanIoU, double PixelAccuracy, IReadOnlyList<double> PerClassIoU) Score(long[,] confusion)
    {
        long total = 0, correct = 0;
        var truth = new long[Classes];
        var predicted = new long[Classes];
        for (int t = 0; t < Classes; t++)
        {
            for (int p = 0; p < MaskClasses; p++)
            {
                total += confusion[t, p];
                truth[t] += confusion[t, p];
                if (p < Classes)
                    predicted[p] += confusion[t, p];
            }

            correct += confusion[t, t];
        }

        if (total == 0)
            throw new InvalidOperationException("No non-void CamVid pixel was scored: every test mask is void.");
        var iou = new double[Classes];
        for (int k = 0; k < Classes; k++)
        {
            long union = truth[k] + predicted[k] - confusion[k, k];
            iou[k] = union > 0 ? (double)confusion[k, k] / union : double.NaN;
        }

        return (iou.Where(v => !double.IsNaN(v)).Average(), (double)correct / total, Array.AsReadOnly(iou));
    }

    /// <summary>The ids of <c>splits/&lt;split&gt;.txt</c>, in file order.</summary>
    private static List<string> ReadSplit(string camvidDir, string split)
    {
        var path = Path.Combine(camvidDir, SplitsFolder, split + ".txt");
        if (!File.Exists(path))
            throw new CliException($"CamVid folder '{camvidDir}' has no split file '{path}'. Expected splits/train.txt and splits/test.txt, one image id per line.");
        var ids = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (ids.Count == 0)
            throw new CliException($"CamVid split file '{path}' lists no image ids.");
        var duplicate = ids.GroupBy(i => i, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new CliException($"CamVid split file '{path}' lists the id '{duplicate.Key}' twice.");
        return ids;
    }

    /// <summary><paramref name="count"/> ids evenly spaced over <paramref name="ids"/> (all of them when null or larger).</summary>
    internal static List<string> Pick(IReadOnlyList<string> ids, int? count)
    {
        if (count is not int n || n >= ids.Count)
            return [.. ids];
        return [.. Enumerable.Range(0, n).Select(i => ids[(int)((long)i * ids.Count / n)])];
    }

    private static void RequireFiles(string camvidDir, string id)
    {
        var image = ImagePath(camvidDir, id);
        if (!File.Exists(image))
            throw new CliException($"CamVid image '{image}' (id '{id}' of a split file) does not exist.");
        var mask = MaskPath(camvidDir, id);
        if (!File.Exists(mask))
            throw new CliException($"CamVid id '{id}' has no mask: '{mask}' does not exist.");
    }

    private static string ImagePath(string camvidDir, string id) => Path.Combine(camvidDir, ImagesFolder, id + ImageExtension);

    private static string MaskPath(string camvidDir, string id) => Path.Combine(camvidDir, MasksFolder, id + MaskExtension);

    /// <summary>The working width: <paramref name="height"/> times the aspect ratio of the first training image.</summary>
    private static int WidthFor(string camvidDir, string id, int height)
    {
        using var image = Load(ImagePath(camvidDir, id));
        return Math.Max(1, (int)Math.Round((double)height * image.Width / image.Height, MidpointRounding.AwayFromZero));
    }

    /// <summary>An image (RGB) and its mask (class values checked), of equal size.</summary>
    private static (RgbImage Image, ClassMap Mask) ReadPair(string camvidDir, string id)
    {
        string imagePath = ImagePath(camvidDir, id), maskPath = MaskPath(camvidDir, id);
        RgbImage image;
        using (var decoded = Load(imagePath))
            image = RgbImage.From(decoded, imagePath);
        ClassMap mask;
        using (var decoded = Load(maskPath))
            mask = ClassMap.FromMask(decoded, maskPath);
        if (mask.Width != image.Width || mask.Height != image.Height)
            throw new CliException(string.Create(CultureInfo.InvariantCulture,
                $"CamVid mask '{maskPath}' is {mask.Width} × {mask.Height} but its image '{imagePath}' is {image.Width} × {image.Height}; they must be the same size."));
        return (image, mask);
    }

    /// <summary>Decodes a CamVid file with ML.NET (the segmentation step takes <see cref="MLImage"/>s), after the size check every image file gets (<see cref="ImageFile.ReadSize"/>).</summary>
    private static MLImage Load(string path)
    {
        try
        {
            _ = ImageFile.ReadSize(path, ImageFolder.DefaultMaxImagePixels);
            return MLImage.CreateFromFile(path);
        }
#pragma warning disable CA1031 // Decoders throw anything on a corrupt file; report the file.
        catch (Exception e)
#pragma warning restore CA1031
        {
            throw new CliException($"CamVid file '{path}' could not be decoded: {e.Message}", e);
        }
    }

    /// <summary>The predicted class of every pixel (row-major) as bytes; a value that is not a class is an internal error.</summary>
    private static byte[] ToClasses(float[] values, int pixels, string id)
    {
        if (values.Length != pixels)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The segmentation map of test image '{id}' has {values.Length} values; expected {pixels}."));
        var classes = new byte[pixels];
        for (int i = 0; i < pixels; i++)
        {
            int cls = (int)MathF.Round(values[i]);
            if (cls < 0 || cls >= MaskClasses)
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"The segmentation map of test image '{id}' holds {values[i]} at pixel {i}; expected class indices in [0, {MaskClasses})."));
            classes[i] = (byte)cls;
        }

        return classes;
    }

    /// <summary>For each of <paramref name="target"/> output positions, the source index (pixel centres, nearest neighbour).</summary>
    private static int[] SourceIndices(int target, int source)
    {
        var indices = new int[target];
        for (int i = 0; i < target; i++)
            indices[i] = Math.Min(source - 1, (int)(((2L * i) + 1) * source / (2L * target)));
        return indices;
    }

    /// <summary>
    /// The schema of in-memory rows of <typeparamref name="T"/> whose <paramref name="imageColumns"/> are images of the
    /// working size (known only at run time, so not in an attribute; the size's image type is registered with ML.NET as
    /// an <c>[ImageType(height, width)]</c> attribute would register it).
    /// </summary>
    private static SchemaDefinition Schema<T>(int height, int width, params string[] imageColumns)
    {
        DataViewTypeManager.Register(new ImageDataViewType(height, width), typeof(MLImage), new ImageTypeAttribute(height, width));
        var schema = SchemaDefinition.Create(typeof(T));
        foreach (var name in imageColumns)
            schema[name].ColumnType = new ImageDataViewType(height, width);
        return schema;
    }

    // The [ImageType(1, 1)] attributes only let ML.NET recognise MLImage members; Schema() replaces their size with the
    // working size, which is known at run time only.

    /// <summary>A row of the training data: an image and its mask, both of the working size.</summary>
    private sealed class MaskedRow
    {
        [ImageType(1, 1)]
        public MLImage? Image { get; set; }

        [ImageType(1, 1)]
        public MLImage? Mask { get; set; }
    }

    /// <summary>A row of the test data: an image of the working size.</summary>
    private sealed class ImageRow
    {
        [ImageType(1, 1)]
        public MLImage? Image { get; set; }
    }

    /// <summary>An RGB image, 3 bytes a pixel, row-major.</summary>
    private sealed record RgbImage(int Height, int Width, byte[] Rgb)
    {
        public static RgbImage From(MLImage image, string path)
        {
            var (red, green, blue) = Channels(image, path);
            ReadOnlySpan<byte> pixels = image.Pixels;
            var rgb = new byte[image.Width * image.Height * 3];
            for (int i = 0, p = 0; i < rgb.Length; i += 3, p += 4)
                (rgb[i], rgb[i + 1], rgb[i + 2]) = (pixels[p + red], pixels[p + green], pixels[p + blue]);
            return new RgbImage(image.Height, image.Width, rgb);
        }

        /// <summary>Resized (bilinear, antialiased) to <paramref name="height"/> × <paramref name="width"/> as an RGBA <see cref="MLImage"/>.</summary>
        public MLImage Resize(int height, int width)
        {
            byte[] rgb;
            if (height == Height && width == Width)
            {
                rgb = Rgb;
            }
            else
            {
                using var scope = NewDisposeScope();
                var source = tensor(Rgb, [1, Height, Width, 3]).permute(0, 3, 1, 2).to(ScalarType.Float32);
                var resized = nn.functional.interpolate(source, [height, width], mode: InterpolationMode.Bilinear, align_corners: false, antialias: true);
                rgb = resized.round().clamp(0, 255).to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().data<byte>().ToArray();
            }

            var rgba = new byte[height * width * 4];
            for (int i = 0, p = 0; p < rgba.Length; i += 3, p += 4)
                (rgba[p], rgba[p + 1], rgba[p + 2], rgba[p + 3]) = (rgb[i], rgb[i + 1], rgb[i + 2], 255);
            return MLImage.CreateFromPixels(width, height, MLPixelFormat.Rgba32, rgba);
        }
    }

    /// <summary>A map of class values (0 … 11), one byte a pixel, row-major.</summary>
    internal sealed record ClassMap(int Height, int Width, byte[] Values)
    {
        /// <summary>The classes of a greyscale mask image.</summary>
        /// <exception cref="CliException">A pixel is not grey or its value is above <see cref="Void"/>; the message names the file.</exception>
        public static ClassMap FromMask(MLImage mask, string path)
        {
            var (red, green, blue) = Channels(mask, path);
            ReadOnlySpan<byte> pixels = mask.Pixels;
            var values = new byte[mask.Width * mask.Height];
            for (int i = 0, p = 0; i < values.Length; i++, p += 4)
            {
                byte value = pixels[p + red];
                if (pixels[p + green] != value || pixels[p + blue] != value)
                    throw new CliException(string.Create(CultureInfo.InvariantCulture,
                        $"CamVid mask '{path}' is not a greyscale class map: pixel ({i % mask.Width}, {i / mask.Width}) has colour ({value}, {pixels[p + green]}, {pixels[p + blue]})."));
                if (value > Void)
                    throw new CliException(string.Create(CultureInfo.InvariantCulture,
                        $"CamVid mask '{path}' has value {value} at pixel ({i % mask.Width}, {i / mask.Width}); expected class indices 0 … {Classes - 1} or {Void} (void)."));
                values[i] = value;
            }

            return new ClassMap(mask.Height, mask.Width, values);
        }

        /// <summary>Resized to <paramref name="height"/> × <paramref name="width"/> by nearest neighbour (pixel centres).</summary>
        public ClassMap ResizeNearest(int height, int width)
        {
            if (height == Height && width == Width)
                return this;
            var (rows, columns) = (SourceIndices(height, Height), SourceIndices(width, Width));
            var values = new byte[height * width];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                    values[(y * width) + x] = Values[(rows[y] * Width) + columns[x]];
            }

            return new ClassMap(height, width, values);
        }

        /// <summary>The map as a grey RGBA image (grey level = class), the mask column the segmentation step reads.</summary>
        public MLImage ToGreyImage()
        {
            var rgba = new byte[Values.Length * 4];
            for (int i = 0; i < Values.Length; i++)
                (rgba[4 * i], rgba[(4 * i) + 1], rgba[(4 * i) + 2], rgba[(4 * i) + 3]) = (Values[i], Values[i], Values[i], 255);
            return MLImage.CreateFromPixels(Width, Height, MLPixelFormat.Rgba32, rgba);
        }
    }

    /// <summary>Byte offsets of red, green and blue in a 4-byte pixel of <paramref name="image"/>.</summary>
    private static (int Red, int Green, int Blue) Channels(MLImage image, string path) => image.PixelFormat switch
    {
        MLPixelFormat.Bgra32 => (2, 1, 0),
        MLPixelFormat.Rgba32 => (0, 1, 2),
        _ => throw new CliException($"CamVid file '{path}': pixel format {image.PixelFormat} is not supported (Bgra32 or Rgba32)."),
    };
}
