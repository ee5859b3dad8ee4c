namespace EquiRecon.TorchSharp.Tests;

/// <summary>Locates the read-only shared data (shared/data/…) by walking up from the test binaries; null when absent.</summary>
internal static class SharedData
{
    /// <summary>The CIFAR-10 image-folder export (<c>shared/data/cifar10</c> with <c>train/</c> and <c>test/</c>), or null.</summary>
    public static string? Cifar10Directory => SharedDataFolder.Find("cifar10");
}

/// <summary>A fact that is skipped (with the reason shown) when <c>shared/data/cifar10</c> is absent.</summary>
public sealed class Cifar10FactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public Cifar10FactAttribute()
    {
        if (SharedData.Cifar10Directory is null)
            Skip = "shared/data/cifar10 was not found above " + AppContext.BaseDirectory;
    }
}
