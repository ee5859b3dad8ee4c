using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class AugmentedBatchTests
{
    private static AugmentedBatch View(float angle, float[] color, float sigma, float dx, float dy, float[] box, float flip)
    {
        TransformKind[] kinds = [TransformKind.Rotation, TransformKind.Color, TransformKind.Blur, TransformKind.Translation, TransformKind.Crop, TransformKind.Flip];
        Tensor[] parameters =
        [
            Params([angle], [angle + 1]), Params(color, color), Params([sigma], [sigma]),
            Params([dx, dy], [dx, dy]), Params(box, box), Params([flip], [1 - flip]),
        ];
        return new AugmentedBatch(torch.zeros(2, 3, 4, 4), kinds, parameters);
    }

    [Fact]
    public void Concatenated_joins_parameters_in_the_requested_order()
    {
        using var scope = torch.NewDisposeScope();
        using var view = View(10, [0.1f, 0.2f, 0.3f, 0.04f], 1.5f, 2, -1, [0, 0.1f, 0.5f, 0.6f], 1);
        var joined = view.Concatenated([TransformKind.Translation, TransformKind.Rotation]);
        joined.shape.Should().Equal(2, 3);
        joined[0].data<float>().ToArray().Should().Equal(2f, -1f, 10f);
        var missing = () => view.Concatenated([]);
        missing.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Relative_parameters_are_differences_both_boxes_or_xor()
    {
        using var scope = torch.NewDisposeScope();
        using var a = View(10, [0.1f, 0.2f, 0.3f, 0.04f], 1.5f, 2, -1, [0, 0.1f, 0.5f, 0.6f], 1);
        using var b = View(-5, [0.3f, -0.2f, 0.3f, 0.0f], 0.5f, -1, 1, [0.2f, 0.2f, 0.7f, 0.8f], 1);

        var rotation = AugmentedBatch.RelativeParameters(a, b, TransformKind.Rotation);
        rotation.data<float>().ToArray().Should().Equal(-15f, -15f);
        var color = AugmentedBatch.RelativeParameters(a, b, TransformKind.Color);
        MaxAbsDiff(color[0], torch.tensor(new[] { 0.2f, -0.4f, 0f, -0.04f })).Should().BeLessThan(1e-6);
        AugmentedBatch.RelativeParameters(a, b, TransformKind.Blur)[0].item<float>().Should().Be(-1f);
        AugmentedBatch.RelativeParameters(a, b, TransformKind.Translation)[0].data<float>().ToArray().Should().Equal(-3f, 2f);
        var crop = AugmentedBatch.RelativeParameters(a, b, TransformKind.Crop);
        crop[0].data<float>().ToArray().Should().Equal(0f, 0.1f, 0.5f, 0.6f, 0.2f, 0.2f, 0.7f, 0.8f);
        // Flags: a = (1, 0), b = (1, 0) → XOR 0; against a view with the other flags → 1.
        AugmentedBatch.RelativeParameters(a, b, TransformKind.Flip).data<float>().ToArray().Should().Equal(0f, 0f);
        using var c = View(0, [0, 0, 0, 0], 1, 0, 0, [0, 0, 1, 1], 0);
        AugmentedBatch.RelativeParameters(a, c, TransformKind.Flip).data<float>().ToArray().Should().Equal(1f, 1f);

        foreach (var kind in Enum.GetValues<TransformKind>())
            AugmentedBatch.RelativeParameters(a, b, kind).shape.Should().Equal(2, AugmentedBatch.RelativeParameterCount(kind));
        var all = AugmentedBatch.RelativeParameters(a, b, [TransformKind.Rotation, TransformKind.Crop]);
        all.shape.Should().Equal(2, 9);
    }

    [Fact]
    public void Missing_kinds_and_bad_shapes_throw()
    {
        using var scope = torch.NewDisposeScope();
        using var view = new AugmentedBatch(torch.zeros(2, 3, 4, 4), [TransformKind.Rotation], [torch.zeros(2, 1)]);
        var missing = () => view.ParametersOf(TransformKind.Blur);
        missing.Should().Throw<ArgumentException>().WithMessage("No Blur parameters*Rotation*");
        var wrongRows = () => new AugmentedBatch(torch.zeros(2, 3, 4, 4), [TransformKind.Rotation], [torch.zeros(3, 1)]);
        wrongRows.Should().Throw<ArgumentException>().WithMessage("*(2, k)*(3, 1)*");
        var twice = () => new AugmentedBatch(torch.zeros(2, 3, 4, 4), [TransformKind.Flip, TransformKind.Flip], [torch.zeros(2, 1), torch.zeros(2, 1)]);
        twice.Should().Throw<ArgumentException>().WithMessage("*Flip appears more than once*");
    }

    [Fact]
    public void Dispose_releases_the_images_and_parameters()
    {
        var images = torch.zeros(1, 3, 2, 2);
        var parameters = torch.zeros(1, 1);
        var view = new AugmentedBatch(images, [TransformKind.Blur], [parameters]);
        view.Dispose();
        view.Dispose();
        images.IsInvalid.Should().BeTrue();
        parameters.IsInvalid.Should().BeTrue();
    }
}
