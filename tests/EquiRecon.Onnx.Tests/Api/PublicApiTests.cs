namespace EquiRecon.Onnx.Tests.Api;

/// <summary>
/// Pins the public surface of EquiRecon.Onnx (<c>EquiRecon.Onnx.approved.txt</c> beside this file): a change to it is a
/// visible diff. After an intended change, copy the <c>.received.txt</c> the failing test writes over the approved file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void The_public_API_of_EquiRecon_Onnx_is_the_approved_one()
        => PublicApi.Difference(typeof(EquiRecon.Onnx.OnnxExport).Assembly).Should().BeEmpty();
}
