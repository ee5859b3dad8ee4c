namespace EquiRecon.MLNet.Tests.Api;

/// <summary>
/// Pins the public surface of EquiRecon.MLNet and EquiRecon.Models.NaturalImage (<c>&lt;assembly&gt;.approved.txt</c> beside
/// this file): a change to it is a visible diff. After an intended change, copy the <c>.received.txt</c> the failing test
/// writes over the approved file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_of_EquiRecon_MLNet_is_the_approved_one()
        => PublicApi.Difference(typeof(EquiReconCatalog).Assembly).Should().BeEmpty();

    [Fact]
    public void The_public_API_of_EquiRecon_Models_NaturalImage_is_the_approved_one()
        => PublicApi.Difference(typeof(EquiRecon.Models.NaturalImage.NaturalImageEncoder).Assembly).Should().BeEmpty();
}
