namespace EquiRecon.Samples;

/// <summary>An image file and its class (the name of the folder it is in).</summary>
internal sealed class ImageRow
{
    /// <summary>Full path of the image file.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Class name: the image's folder.</summary>
    public string Label { get; set; } = "";
}

/// <summary>Where the samples find their data, and how they list image folders.</summary>
internal static class SampleData
{
    /// <summary>Environment variable that overrides the data folder.</summary>
    public const string DataVariable = "EQUIRECON_DATA";

    /// <summary>
    /// A folder of the repository's read-only data (<c>../shared/data/&lt;name&gt;</c> next to the repository, found
    /// upwards from the working directory and from the program), or of <c>$EQUIRECON_DATA/&lt;name&gt;</c> when set.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist; the message says where it looked.</exception>
    public static string Folder(string name)
    {
        var overridden = Environment.GetEnvironmentVariable(DataVariable);
        if (!string.IsNullOrEmpty(overridden))
        {
            var path = Path.Combine(overridden, name);
            return Directory.Exists(path)
                ? path
                : throw new DirectoryNotFoundException($"{DataVariable} is '{overridden}', but it has no '{name}' folder.");
        }
        var tried = new List<string>();
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", name);
                if (Directory.Exists(candidate))
                    return candidate;
                tried.Add(candidate);
            }
        }
        throw new DirectoryNotFoundException(
            $"No data folder '{name}': looked for shared/data/{name} above {Environment.CurrentDirectory} and {AppContext.BaseDirectory}. Set {DataVariable} to the folder that holds '{name}'.");
    }

    /// <summary>
    /// Lists an image folder laid out as <c>&lt;root&gt;/&lt;class&gt;/&lt;image&gt;</c>: at most <paramref name="perClass"/>
    /// images per class (in file-name order), classes in name order.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException"><paramref name="root"/> does not exist.</exception>
    /// <exception cref="InvalidDataException"><paramref name="root"/> has no class folder with images.</exception>
    public static IReadOnlyList<ImageRow> ListImageFolder(string root, int perClass = int.MaxValue)
    {
        if (!Directory.Exists(root))
            throw new DirectoryNotFoundException($"Image folder not found: {root}.");
        var rows = new List<ImageRow>();
        foreach (var classDir in Directory.GetDirectories(root).Order(StringComparer.Ordinal))
        {
            var label = Path.GetFileName(classDir);
            rows.AddRange(Directory.GetFiles(classDir)
                .Where(f => f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .Take(perClass)
                .Select(f => new ImageRow { ImagePath = f, Label = label }));
        }
        return rows.Count > 0 ? rows : throw new InvalidDataException($"Image folder {root} has no <class>/<image>.jpg|png files.");
    }
}
