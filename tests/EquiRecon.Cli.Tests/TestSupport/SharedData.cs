namespace EquiRecon.Cli.Tests;

/// <summary>
/// Locates the repository's read-only data folder <c>shared/data</c> (beside the checkout, or inside it) by walking up from
/// <see cref="AppContext.BaseDirectory"/>; <see langword="null"/> when absent.
/// </summary>
internal static class SharedData
{
    /// <summary>The full path of <c>shared/data</c>, or <see langword="null"/>.</summary>
    public static string? Root => SharedDataFolder.Root;

    /// <summary>The CamVid folder <c>shared/data/camvid</c> (with <c>splits/</c>), or <see langword="null"/>.</summary>
    public static string? CamVid
        => SharedDataFolder.Find("camvid", "splits") is null ? null : SharedDataFolder.Find("camvid");
}

/// <summary>A fact that is skipped (with the reason shown) when <c>shared/data/camvid</c> is absent.</summary>
public sealed class CamVidFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public CamVidFactAttribute()
    {
        if (SharedData.CamVid is null)
            Skip = "shared/data/camvid was not found above " + AppContext.BaseDirectory;
    }
}
