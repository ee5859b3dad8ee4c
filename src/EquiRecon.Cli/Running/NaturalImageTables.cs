namespace EquiRecon.Cli.Running;

/// <summary>The natural-image tables of <c>equirecon reproduce</c>: names, rows and what each is.</summary>
internal static class NaturalImageTables
{
    /// <summary>The seed's ImageNet table at Imagenette scale: six transformation probes and linear top-1.</summary>
    public const string Imagenette = "imagenette";

    /// <summary>The seed's transfer table on the data we have: linear top-1 on Imagenette, DTD10, CIFAR-10; CamVid mIoU.</summary>
    public const string Transfer = "transfer";

    /// <summary>The row of the imported backbone, evaluated as it is.</summary>
    public const string Imported = "imported";

    /// <summary>The table names.</summary>
    public static IReadOnlyList<string> Names { get; } = [Imagenette, Transfer];

    /// <summary>Rows of the Imagenette table, in report order.</summary>
    public static IReadOnlyList<string> ImagenetteRows { get; } = [ReproduceTables.Random, Imported, "vicreg", "sie-all", "equirecon"];

    /// <summary>Rows of the transfer table (their encoders come from an Imagenette run).</summary>
    public static IReadOnlyList<string> TransferRows { get; } = [ReproduceTables.Random, Imported, "vicreg", "equirecon"];

    /// <summary>Every row name of these tables.</summary>
    public static IReadOnlyList<string> AllRows { get; } = ImagenetteRows.Union(TransferRows).ToArray();

    /// <summary>The rows of <paramref name="table"/>.</summary>
    public static IReadOnlyList<string> RowsOf(string table) => table == Transfer ? TransferRows : ImagenetteRows;

    /// <summary>True for the natural-image tables.</summary>
    public static bool Contains(string table) => Names.Contains(table, StringComparer.Ordinal);

    /// <summary>Sub-folders of <c>--data</c> the transfer table reads.</summary>
    public static class TransferData
    {
        /// <summary>Imagenette (train/test class folders).</summary>
        public const string Imagenette = "imagenette-160";

        /// <summary>DTD10 (train/test class folders).</summary>
        public const string Dtd = "dtd10";

        /// <summary>CIFAR-10 (train/test class folders, upsampled to the encoder's input).</summary>
        public const string Cifar10 = "cifar10";

        /// <summary>CamVid (images/, masks/, splits/).</summary>
        public const string CamVid = "camvid";
    }
}
