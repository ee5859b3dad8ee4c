using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Augment;

/// <summary>Batched affine warps shared by the geometric augmentations.</summary>
internal static class GridSampling
{
    /// <summary>
    /// Warps images <c>(B, C, H, W)</c> with per-sample affine maps <c>theta (B, 2, 3)</c> from output to input
    /// normalized coordinates: bilinear, zero padding, <c>align_corners = false</c>.
    /// </summary>
    public static Tensor Warp(Tensor images, Tensor theta)
    {
        using var scope = torch.NewDisposeScope();
        var grid = nn.functional.affine_grid(theta.to(images.dtype), images.shape, align_corners: false);
        var result = nn.functional.grid_sample(images, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Zeros, align_corners: false);
        return result.MoveToOuterDisposeScope();
    }
}
