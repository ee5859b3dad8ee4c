using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Methods;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class TransformKindsTests
{
    [Fact]
    public void Every_kind_is_listed_once_with_a_name_that_parses_back()
    {
        TransformKinds.All.Should().BeEquivalentTo(Enum.GetValues<TransformKind>()).And.OnlyHaveUniqueItems();
        TransformKinds.All.Select(TransformKinds.Name).Should().Equal("rot", "color", "blur", "trans", "crop", "flip");
        foreach (var kind in TransformKinds.All)
        {
            TransformKinds.TryParse(TransformKinds.Name(kind), out var parsed).Should().BeTrue();
            parsed.Should().Be(kind);
        }
        TransformKinds.TryParse("rotation", out _).Should().BeFalse();
    }

    [Fact]
    public void Parameters_are_those_of_the_default_augmentation()
    {
        foreach (var kind in TransformKinds.All)
        {
            var names = AugmentationPipeline.Default(32, kind).StepOf(kind)!.ParameterNames;
            TransformKinds.ParameterNames(kind, 32).Should().Equal(names);
            TransformKinds.ParameterCount(kind, 32).Should().Be(names.Count).And.BePositive();
        }
    }

    [Fact]
    public void The_SIE_methods_are_named_after_the_kinds_and_the_all_variants_apply_every_kind()
    {
        foreach (var kind in TransformKinds.All)
            MethodRegistry.Get("sie-" + TransformKinds.Name(kind)).Augmentations.Should().Equal(kind);
        MethodRegistry.Get("sie-all").Augmentations.Should().Equal(AugmentationPipeline.CanonicalOrder);
        MethodRegistry.Get("equirecon").Augmentations.Should().Equal(AugmentationPipeline.CanonicalOrder);
    }
}
