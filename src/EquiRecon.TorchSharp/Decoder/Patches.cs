using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Decoder;

/// <summary>
/// Cuts images into non-overlapping square patches and back. Patches are numbered row-major over the patch grid;
/// each patch vector lists its pixels row-major with the channels innermost (<c>(p, q, C)</c>, as MAE).
/// </summary>
public static class Patches
{
    /// <summary>Images <c>(B, C, H, W)</c> → patches <c>(B, N, patch·patch·C)</c> with <c>N = (H / patch)·(W / patch)</c>.</summary>
    /// <param name="images">Images, <c>(B, C, H, W)</c> (C = 3 for RGB); H and W divisible by <paramref name="patch"/>.</param>
    /// <param name="patch">Patch side in pixels, at least 1.</param>
    /// <exception cref="ArgumentException">The images are not 4-D, or H or W is not divisible by the patch side.</exception>
    public static Tensor Patchify(Tensor images, int patch)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(patch, 1);
        if (images.dim() != 4)
            throw new ArgumentException($"Expected images of shape (B, C, H, W), got [{string.Join(", ", images.shape)}].", nameof(images));
        long b = images.shape[0], c = images.shape[1], h = images.shape[2], w = images.shape[3];
        if (h % patch != 0 || w % patch != 0)
            throw new ArgumentException($"Image height and width must be divisible by the patch side {patch}, got {h}×{w} (shape [{string.Join(", ", images.shape)}]).", nameof(images));
        long gh = h / patch, gw = w / patch;
        using var scope = NewDisposeScope();
        var patches = images.reshape(b, c, gh, patch, gw, patch)
            .permute(0, 2, 4, 3, 5, 1)
            .reshape(b, gh * gw, (long)patch * patch * c);
        return patches.MoveToOuterDisposeScope();
    }

    /// <summary>Patches <c>(B, N, patch·patch·C)</c> → images <c>(B, C, height, width)</c>; the exact inverse of <see cref="Patchify"/>.</summary>
    /// <param name="patches">Patches, <c>(B, N, patch·patch·C)</c> with <c>N = (height / patch)·(width / patch)</c>.</param>
    /// <param name="patch">Patch side in pixels, at least 1.</param>
    /// <param name="height">Image height, divisible by <paramref name="patch"/>.</param>
    /// <param name="width">Image width, divisible by <paramref name="patch"/>.</param>
    /// <exception cref="ArgumentException">The sizes do not divide, or the patches' shape does not fit them.</exception>
    public static Tensor Unpatchify(Tensor patches, int patch, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(patches);
        ArgumentOutOfRangeException.ThrowIfLessThan(patch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (height % patch != 0 || width % patch != 0)
            throw new ArgumentException($"Image height and width must be divisible by the patch side {patch}, got {height}×{width}.", nameof(patch));
        long gh = height / patch, gw = width / patch, area = (long)patch * patch;
        if (patches.dim() != 3 || patches.shape[1] != gh * gw || patches.shape[2] % area != 0 || patches.shape[2] == 0)
            throw new ArgumentException($"Expected patches of shape (B, {gh * gw}, {area}·C) for {height}×{width} images and patch side {patch}, got [{string.Join(", ", patches.shape)}].", nameof(patches));
        long b = patches.shape[0], c = patches.shape[2] / area;
        using var scope = NewDisposeScope();
        var images = patches.reshape(b, gh, gw, patch, patch, c)
            .permute(0, 5, 1, 3, 2, 4)
            .reshape(b, c, height, width);
        return images.MoveToOuterDisposeScope();
    }
}
