using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace EquiRecon.MLNet.Tests.Segmentation;

/// <summary>
/// Tiles of the ISBI 2012 EM slices in <c>shared/data/isbi-em</c> (30 slices of 512×512, greyscale; masks 255 = cell
/// interior, 0 = membrane), as in-memory 64×64 images.
/// </summary>
internal static class IsbiTiles
{
    public const int TileSize = 64;
    private const int SliceSize = 512;

    /// <summary>The folder <c>shared/data/isbi-em</c>, or <see langword="null"/> when absent.</summary>
    public static string? Root
        => SharedData.Root is { } root && Directory.Exists(Path.Combine(root, "isbi-em", "masks")) ? Path.Combine(root, "isbi-em") : null;

    /// <summary>An image tile and its mask tile.</summary>
    public sealed class TileRow
    {
        [ImageType(TileSize, TileSize)]
        public MLImage? Image { get; set; }

        [ImageType(TileSize, TileSize)]
        public MLImage? Mask { get; set; }
    }

    /// <summary>
    /// <paramref name="perSlice"/> tiles of each slice in <paramref name="slices"/>, evenly spread over the 8×8 grid of
    /// 64×64 tiles (every <c>64 / perSlice</c>-th tile in row-major order).
    /// </summary>
    public static TileRow[] Read(IEnumerable<int> slices, int perSlice)
    {
        string root = Root ?? throw new InvalidOperationException("shared/data/isbi-em is absent.");
        const int grid = SliceSize / TileSize;
        int step = Math.Max(1, grid * grid / perSlice);
        var rows = new List<TileRow>();
        foreach (int slice in slices)
        {
            using var image = MLImage.CreateFromFile(Path.Combine(root, "images", $"{slice:D2}.png"));
            using var mask = MLImage.CreateFromFile(Path.Combine(root, "masks", $"{slice:D2}.png"));
            for (int t = 0, taken = 0; t < grid * grid && taken < perSlice; t += step, taken++)
                rows.Add(new TileRow { Image = Crop(image, t / grid, t % grid), Mask = Crop(mask, t / grid, t % grid) });
        }

        return [.. rows];
    }

    private static MLImage Crop(MLImage source, int tileRow, int tileColumn)
    {
        ReadOnlySpan<byte> pixels = source.Pixels;
        byte[] tile = new byte[TileSize * TileSize * 4];
        for (int y = 0; y < TileSize; y++)
        {
            int from = ((((tileRow * TileSize) + y) * source.Width) + (tileColumn * TileSize)) * 4;
            pixels.Slice(from, TileSize * 4).CopyTo(tile.AsSpan(y * TileSize * 4));
        }

        return MLImage.CreateFromPixels(TileSize, TileSize, source.PixelFormat, tile);
    }
}

/// <summary>A theory that is skipped (with the reason shown) when <c>shared/data/isbi-em</c> is absent.</summary>
public sealed class IsbiTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public IsbiTheoryAttribute()
    {
        if (IsbiTiles.Root is null)
            Skip = "shared/data/isbi-em was not found above " + AppContext.BaseDirectory;
    }
}
