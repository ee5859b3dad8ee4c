namespace EquiRecon.TorchSharp.Data;

/// <summary>
/// Reader of CIFAR-100's official binary format: <c>train.bin</c> (50,000 images) and <c>test.bin</c> (10,000),
/// each a sequence of 3074-byte records: 1 coarse-label byte (0–19), 1 fine-label byte (0–99), then 1024 red,
/// 1024 green and 1024 blue bytes of a 32×32 image in row-major order. The fine labels are used.
/// </summary>
public static class Cifar100Binary
{
    /// <summary>Bytes per record: coarse label + fine label + 3072 pixels.</summary>
    public const int RecordSize = 2 + CifarRecords.ImageBytes;

    /// <summary>Folder name inside the official tarball, looked into when the files are not directly in the directory.</summary>
    public const string TarballFolder = "cifar-100-binary";

    /// <summary>The 100 fine class names in label order (used when <c>fine_label_names.txt</c> is absent).</summary>
    public static IReadOnlyList<string> DefaultClassNames { get; } =
    [
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle", "bottle",
        "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar", "cattle",
        "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile", "cup", "dinosaur",
        "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster", "house", "kangaroo", "keyboard",
        "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain",
        "mouse", "mushroom", "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket",
        "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider",
        "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
        "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    ];

    private const string Layout = "CIFAR-100 binary: train.bin and test.bin of 3074-byte records (coarse label byte 0–19, fine label byte 0–99, then 3072 bytes: R, G, B planes of 32×32)";

    /// <summary>Reads the training or the test split with fine labels.</summary>
    /// <param name="directory">The folder with <c>train.bin</c>/<c>test.bin</c> (or the folder holding <c>cifar-100-binary</c>).</param>
    /// <param name="train">True for <c>train.bin</c>, false for <c>test.bin</c>.</param>
    /// <returns>uint8 images <c>(N, 3, 32, 32)</c>, fine labels <c>(N)</c> and the 100 fine class names.</returns>
    /// <exception cref="FileNotFoundException">The file is missing; the message names it and the expected layout.</exception>
    /// <exception cref="InvalidDataException">The file's size is not a multiple of the record size, or a label is out of range.</exception>
    public static ImageDataset Read(string directory, bool train)
    {
        var file = train ? "train.bin" : "test.bin";
        var dir = CifarRecords.Resolve(directory, file, TarballFolder);
        return ReadFiles([Path.Combine(dir, file)], Path.Combine(dir, "fine_label_names.txt"));
    }

    /// <summary>Reads the given record files in order.</summary>
    /// <param name="files">Paths of CIFAR-100 binary files.</param>
    /// <param name="classNamesFile">Optional <c>fine_label_names.txt</c>; the default names are used when null or absent.</param>
    /// <returns>uint8 images <c>(N, 3, 32, 32)</c>, fine labels <c>(N)</c> and the 100 fine class names.</returns>
    public static ImageDataset ReadFiles(IReadOnlyList<string> files, string? classNamesFile = null)
    {
        var classNames = classNamesFile is null ? DefaultClassNames : CifarRecords.ClassNames(classNamesFile, DefaultClassNames);
        return CifarRecords.Read(files, labelBytes: 2, labelIndex: 1, classNames, Layout);
    }
}
