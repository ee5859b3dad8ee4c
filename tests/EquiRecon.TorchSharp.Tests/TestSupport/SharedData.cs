namespace EquiRecon.TorchSharp.Tests;

/// <summary>Locates the read-only shared data (shared/data/…) by walking up from the test binaries; null when absent.</summary>
internal static class SharedData
{
    /// <summary>The CIFAR-10 image-folder export (<c>shared/data/cifar10</c> with <c>train/</c> and <c>test/</c>), or null.</summary>
    public static string? Cifar10Directory => Find(Path.Combine("shared", "data", "cifar10"));

    /// <summary>The first ancestor of the test binaries' folder that holds <paramref name="relative"/>, combined with it; null if none.</summary>
    public static string? Find(string relative)
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
