using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Decoder;

public sealed class PatchesTests
{
    public PatchesTests() => TorchNative.EnsureLoaded();

    [Fact]
    public void Unpatchify_inverts_Patchify_exactly()
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        var images = torch.randn(2, 3, 32, 24);
        var patches = Patches.Patchify(images, 8);
        patches.shape.Should().Equal(2, 12, 8 * 8 * 3);
        var back = Patches.Unpatchify(patches, 8, 32, 24);
        torch.equal(back, images).all().item<bool>().Should().BeTrue();
        torch.equal(Patches.Patchify(back, 8), patches).all().item<bool>().Should().BeTrue();
    }

    [Fact]
    public void Patches_are_row_major_with_pixels_row_major_and_channels_innermost()
    {
        using var scope = torch.NewDisposeScope();
        var images = torch.arange(2 * 3 * 4 * 6, dtype: torch.float32).reshape(2, 3, 4, 6);
        var patches = Patches.Patchify(images, 2); // grid 2×3
        patches.shape.Should().Equal(2, 6, 12);
        for (var row = 0; row < 2; row++)
        {
            for (var col = 0; col < 3; col++)
            {
                var expected = images[.., .., (row * 2)..(row * 2 + 2), (col * 2)..(col * 2 + 2)].permute(0, 2, 3, 1).reshape(2, 12);
                torch.equal(patches[.., row * 3 + col], expected).all().item<bool>().Should().BeTrue();
            }
        }
        // The first values of patch 0: pixel (0, 0) channels 0, 1, 2 of image 0.
        patches[0, 0, ..3].data<float>().ToArray().Should().Equal(0f, 24f, 48f);
    }

    [Fact]
    public void Sizes_that_do_not_divide_are_rejected_with_clear_messages()
    {
        using var scope = torch.NewDisposeScope();
        var odd = () => Patches.Patchify(torch.randn(1, 3, 30, 32), 8);
        odd.Should().Throw<ArgumentException>().WithMessage("*divisible by the patch side 8, got 30×32*");
        var flat = () => Patches.Patchify(torch.randn(3, 32, 32), 8);
        flat.Should().Throw<ArgumentException>().WithMessage("*(B, C, H, W)*[3, 32, 32]*");
        var back = () => Patches.Unpatchify(torch.randn(1, 16, 192), 8, 30, 32);
        back.Should().Throw<ArgumentException>().WithMessage("*divisible*30×32*");
        var count = () => Patches.Unpatchify(torch.randn(1, 15, 192), 8, 32, 32);
        count.Should().Throw<ArgumentException>().WithMessage("*(B, 16, 64·C)*[1, 15, 192]*");
        var zero = () => Patches.Patchify(torch.randn(1, 3, 8, 8), 0);
        zero.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("patch");
    }
}
