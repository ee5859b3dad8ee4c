namespace EquiRecon.TestSupport;

/// <summary>
/// Locates the repository's read-only data folder <c>shared/data</c> (beside the checkout, or inside it) by walking up from
/// <see cref="AppContext.BaseDirectory"/>; <see langword="null"/> when absent. Each test project's <c>SharedData</c> names
/// the data sets it needs under it.
/// </summary>
public static class SharedDataFolder
{
    private static readonly Lazy<string?> LazyRoot = new(FindRoot);

    /// <summary>The full path of <c>shared/data</c>, or <see langword="null"/>.</summary>
    public static string? Root => LazyRoot.Value;

    /// <summary>The first folder <c>shared/data/&lt;parts&gt;</c> above the test binaries, else <see langword="null"/>.</summary>
    public static string? Find(params string[] parts) => FindAbove(Path.Combine(["shared", "data", .. parts]));

    private static string? FindRoot() => FindAbove(Path.Combine("shared", "data"));

    private static string? FindAbove(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
                return candidate;
        }

        return null;
    }
}
