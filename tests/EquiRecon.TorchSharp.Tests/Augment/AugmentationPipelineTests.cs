using EquiRecon.TorchSharp.Augment;
using TorchSharp;
using static TorchSharp.torch;
using static EquiRecon.TorchSharp.Tests.Augment.AugmentTestData;

namespace EquiRecon.TorchSharp.Tests.Augment;

public sealed class AugmentationPipelineTests
{
    [Fact]
    public void Applying_the_sampled_parameters_reproduces_the_sampled_result()
    {
        using var scope = torch.NewDisposeScope();
        var pipeline = AugmentationPipeline.Default(16);
        var images = RandomImages(3);
        using var generator = new Generator(21);
        using var sampled = pipeline.Apply(images, generator);
        using var again = pipeline.Apply(images, sampled.Parameters);

        Identical(again.Images, sampled.Images).Should().BeTrue();
        again.Kinds.Should().Equal(sampled.Kinds);
        foreach (var kind in pipeline.Kinds)
            Identical(again.ParametersOf(kind), sampled.ParametersOf(kind)).Should().BeTrue();
        MeanAbsDiff(sampled.Images, images).Should().BeGreaterThan(0.01, "the default pipeline changes the images");
    }

    [Fact]
    public void The_same_seed_gives_the_same_views()
    {
        using var scope = torch.NewDisposeScope();
        var pipeline = AugmentationPipeline.Default(16);
        var images = RandomImages(2);
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        using var a = pipeline.Apply(images, g1);
        using var b = pipeline.Apply(images, g2);
        Identical(a.Images, b.Images).Should().BeTrue();
        Identical(a.Concatenated(pipeline.Kinds), b.Concatenated(pipeline.Kinds)).Should().BeTrue();
        using var c = pipeline.Apply(images, g1);
        Identical(a.Images, c.Images).Should().BeFalse();
    }

    [Fact]
    public void Batch_holds_images_and_parameters_of_every_kind_with_their_shapes()
    {
        using var scope = torch.NewDisposeScope();
        var pipeline = AugmentationPipeline.Default(16);
        var images = RandomImages(1);
        using var generator = new Generator(2);
        using var batch = pipeline.Apply(images, generator);

        batch.Images.shape.Should().Equal(1, 3, 16, 16);
        batch.BatchSize.Should().Be(1);
        batch.Parameters.Keys.Should().BeEquivalentTo(Enum.GetValues<TransformKind>());
        foreach (var step in pipeline.Steps)
            batch.ParametersOf(step.Kind).shape.Should().Equal(1, step.ParameterNames.Count);
    }

    [Fact]
    public void Default_applies_the_chosen_kinds_in_canonical_order_with_size_dependent_ranges()
    {
        AugmentationPipeline.Default(32).Kinds.Should().Equal(
            TransformKind.Crop, TransformKind.Flip, TransformKind.Rotation, TransformKind.Translation, TransformKind.Color, TransformKind.Blur);
        AugmentationPipeline.Default(32, TransformKind.Color, TransformKind.Rotation, TransformKind.Color).Kinds
            .Should().Equal(TransformKind.Rotation, TransformKind.Color);
        var large = AugmentationPipeline.Default(224);
        large.StepOf(TransformKind.Translation).Should().BeOfType<RandomTranslation>()
            .Which.Options.MaxPixels.Should().Be(10);
        large.StepOf(TransformKind.Rotation).Should().BeOfType<RandomRotation>().Which.Options.MaxDegrees.Should().Be(45);
        AugmentationPipeline.Default(32, TransformKind.Blur).StepOf(TransformKind.Rotation).Should().BeNull();
        var act = () => AugmentationPipeline.Default(0);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    [Fact]
    public void Steps_run_in_the_given_order()
    {
        using var scope = torch.NewDisposeScope();
        var rotation = new RandomRotation();
        var translation = new RandomTranslation(new RandomTranslationOptions { MaxPixels = 3 });
        var pipeline = new AugmentationPipeline([translation, rotation]);
        var images = SmoothImages(2);
        using var generator = new Generator(13);
        using var batch = pipeline.Apply(images, generator);
        var expected = rotation.Apply(translation.Apply(images, batch.ParametersOf(TransformKind.Translation)), batch.ParametersOf(TransformKind.Rotation));
        Identical(batch.Images, expected).Should().BeTrue();
        batch.Kinds.Should().Equal(TransformKind.Translation, TransformKind.Rotation);
    }

    [Fact]
    public void Known_parameters_must_cover_every_kind_and_have_the_right_shape()
    {
        using var scope = torch.NewDisposeScope();
        var pipeline = AugmentationPipeline.Default(16, TransformKind.Rotation, TransformKind.Blur);
        var images = RandomImages(2);
        var missing = () => pipeline.Apply(images, new Dictionary<TransformKind, Tensor> { [TransformKind.Rotation] = torch.zeros(2, 1) });
        missing.Should().Throw<ArgumentException>().WithMessage("Missing parameters for Blur*");
        var wrongShape = () => pipeline.Apply(images, new Dictionary<TransformKind, Tensor>
        {
            [TransformKind.Rotation] = torch.zeros(2, 2),
            [TransformKind.Blur] = torch.ones(2, 1),
        });
        wrongShape.Should().Throw<ArgumentException>().WithMessage("*(2, 1)*(2, 2)*");
        using var extra = pipeline.Apply(images, new Dictionary<TransformKind, Tensor>
        {
            [TransformKind.Rotation] = torch.zeros(2, 1),
            [TransformKind.Blur] = torch.full(2, 1, 0.1f),
            [TransformKind.Flip] = torch.ones(2, 1),
        });
        extra.Parameters.Keys.Should().BeEquivalentTo([TransformKind.Rotation, TransformKind.Blur]);
        MaxAbsDiff(extra.Images, images).Should().BeLessThan(1e-5, "zero rotation and σ = 0.1 leave the images nearly unchanged");
    }

    [Fact]
    public void Duplicate_kinds_are_rejected()
    {
        var act = () => new AugmentationPipeline([new RandomRotation(), new ColorJitter(), new RandomRotation()]);
        act.Should().Throw<ArgumentException>().WithMessage("Transform kind Rotation appears more than once*");
    }

    [Fact]
    public void Empty_pipeline_copies_the_images()
    {
        using var scope = torch.NewDisposeScope();
        var images = RandomImages(2);
        using var generator = new Generator(1);
        var batch = new AugmentationPipeline([]).Apply(images, generator);
        Identical(batch.Images, images).Should().BeTrue();
        batch.Parameters.Should().BeEmpty();
        batch.Dispose();
        images.IsInvalid.Should().BeFalse("the batch owns a copy, not the input");
    }
}
