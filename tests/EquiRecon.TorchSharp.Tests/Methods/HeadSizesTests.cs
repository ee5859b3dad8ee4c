using EquiRecon.TorchSharp.Methods;

namespace EquiRecon.TorchSharp.Tests.Methods;

public sealed class HeadSizesTests
{
    [Fact]
    public void Scaled_to_the_paper_encoder_gives_the_paper_sizes()
    {
        var sizes = HeadSizes.ScaledTo(512);
        sizes.ExpanderWidth.Should().Be(2048);
        sizes.ProjectorWidth.Should().Be(1024);
        sizes.Decoder.Width.Should().Be(256);
        sizes.Decoder.Heads.Should().Be(4);
    }

    [Fact]
    public void Scaled_to_the_small_encoder_halves_every_head()
    {
        var sizes = HeadSizes.ScaledTo(256);
        (sizes.ExpanderWidth, sizes.ProjectorWidth, sizes.Decoder.Width).Should().Be((1024, 512, 128));
    }

    [Fact]
    public void WithHeadSizes_changes_only_the_objectives_a_method_has()
    {
        var vicreg = MethodRegistry.Get("vicreg").WithHeadSizes(HeadSizes.ScaledTo(64));
        vicreg.VicReg!.ExpanderWidth.Should().Be(256);
        vicreg.Reconstruction.Should().BeNull();
        vicreg.Sie.Should().BeNull();
        var equirecon = MethodRegistry.Get("equirecon").WithHeadSizes(HeadSizes.ScaledTo(64));
        equirecon.Reconstruction!.Decoder!.Width.Should().Be(32);
        equirecon.Reconstruction.Weight.Should().Be(1.0, "sizes do not touch λ");
    }
}
