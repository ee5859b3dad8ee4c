namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Reader of CIFAR-10's official binary format ("CIFAR-10 binary version"): files <c>data_batch_1.bin</c> …
/// <c>data_batch_5.bin</c> (training, 50,000 images) and <c>test_batch.bin</c> (10,000 images), each a
/// sequence of 3073-byte records: 1 label byte (0–9), then 1024 red, 1024 green and 1024 blue bytes of a
/// 32×32 image in row-major order.
/// </summary>
public static class Cifar10Binary
{
    /// <summary>Bytes per record: 1 label + 3072 pixels.</summary>
    public const int RecordSize = 1 + CifarRecords.ImageBytes;

    /// <summary>Folder name inside the official tarball, looked into when the files are not directly in the directory.</summary>
    public const string TarballFolder = "cifar-10-batches-bin";

    /// <summary>The class names in label order (used when <c>batches.meta.txt</c> is absent).</summary>
    public static IReadOnlyList<string> DefaultClassNames { get; } =
        ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

    private const string Layout = "CIFAR-10 binary: data_batch_1.bin … data_batch_5.bin and test_batch.bin, each of 3073-byte records (1 label byte 0–9, then 3072 bytes: R, G, B planes of 32×32)";

    /// <summary>Reads the training or the test split.</summary>
    /// <param name="directory">The folder with the <c>.bin</c> files (or the folder holding <c>cifar-10-batches-bin</c>).</param>
    /// <param name="train">True for the five training batches, false for <c>test_batch.bin</c>.</param>
    /// <returns>uint8 images <c>(N, 3, 32, 32)</c>, labels <c>(N)</c> and the ten class names.</returns>
    /// <exception cref="FileNotFoundException">A file is missing; the message names it and the expected layout.</exception>
    /// <exception cref="InvalidDataException">A file's size is not a multiple of the record size, or a label is out of range.</exception>
    public static ImageDataset Read(string directory, bool train)
    {
        var dir = CifarRecords.Resolve(directory, train ? "data_batch_1.bin" : "test_batch.bin", TarballFolder);
        string[] names = train
            ? ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"]
            : ["test_batch.bin"];
        return ReadFiles(names.Select(n => Path.Combine(dir, n)).ToArray(), Path.Combine(dir, "batches.meta.txt"));
    }

    /// <summary>Reads the given record files in order (for example a single batch).</summary>
    /// <param name="files">Paths of CIFAR-10 binary batch files.</param>
    /// <param name="classNamesFile">Optional <c>batches.meta.txt</c>; the default names are used when null or absent.</param>
    /// <returns>uint8 images <c>(N, 3, 32, 32)</c>, labels <c>(N)</c> and the ten class names.</returns>
    public static ImageDataset ReadFiles(IReadOnlyList<string> files, string? classNamesFile = null)
    {
        var classNames = classNamesFile is null ? DefaultClassNames : CifarRecords.ClassNames(classNamesFile, DefaultClassNames);
        return CifarRecords.Read(files, labelBytes: 1, labelIndex: 0, classNames, Layout);
    }
}
