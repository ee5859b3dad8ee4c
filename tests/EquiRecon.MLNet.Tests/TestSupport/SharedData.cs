namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>
/// Locates the repository's read-only data folder <c>shared/data</c> (beside the checkout, or inside it):
/// walks up from <see cref="AppContext.BaseDirectory"/> and returns <see langword="null"/> when it is absent.
/// </summary>
internal static class SharedData
{
    /// <summary>The full path of <c>shared/data</c>, or <see langword="null"/> when no ancestor folder has one.</summary>
    public static string? Root => SharedDataFolder.Root;

    /// <summary>The CIFAR-10 test split (<c>cifar10/test/&lt;class&gt;/NNNN.jpg</c>), or <see langword="null"/> when absent.</summary>
    public static string? Cifar10Test
        => SharedDataFolder.Find("cifar10", "test");

    /// <summary>
    /// The first <paramref name="perClass"/> JPEG files (by name) of each of <paramref name="classes"/> in the CIFAR-10
    /// test split; empty when the data is absent.
    /// </summary>
    public static IReadOnlyList<string> Cifar10TestImages(int perClass, params string[] classes)
    {
        if (Cifar10Test is not { } folder)
            return [];
        return classes
            .SelectMany(c => Directory.EnumerateFiles(Path.Combine(folder, c), "*.jpg")
                .Order(StringComparer.Ordinal)
                .Take(perClass))
            .ToArray();
    }
}

/// <summary>A fact that is skipped (with the reason shown) when <c>shared/data/cifar10</c> is absent.</summary>
public sealed class Cifar10FactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public Cifar10FactAttribute()
    {
        if (SharedData.Cifar10Test is null)
            Skip = "shared/data/cifar10 was not found above " + AppContext.BaseDirectory;
    }
}
