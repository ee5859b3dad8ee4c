using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Methods;

/// <summary>Runs over every registered method: builds, finite loss, every parameter receives a gradient.</summary>
public sealed class MethodContractTests
{
    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in MethodRegistry.Names)
            data.Add(name);
        return data;
    }

    [Fact]
    public void Registry_has_the_seed_method_and_every_baseline()
    {
        MethodRegistry.Names.Should().BeEquivalentTo(
            "equirecon", "vicreg", "supervised", "sie-rot", "sie-color", "sie-blur", "sie-trans", "sie-crop", "sie-flip", "sie-all");
        FluentActions.Invoking(() => MethodRegistry.Get("nope")).Should().Throw<ArgumentException>().WithMessage("*nope*equirecon*");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Loss_is_finite_and_every_parameter_gets_a_gradient(string name)
    {
        var data = Tiny.RandomImages(16);
        using var trainer = new Pretrainer(Tiny.Method(name), Tiny.Encoder, Tiny.Options(steps: 1, batch: 16), data);
        using var scope = torch.NewDisposeScope();
        var terms = trainer.Model.call(trainer.MakeInput(0));

        terms.Total.shape.Should().BeEmpty("the total is a scalar");
        var values = terms.ToDoubles();
        values.Values.Should().OnlyContain(v => double.IsFinite(v), string.Join(", ", values));
        values.Keys.Should().Contain("total");

        terms.Total.backward();
        var missing = trainer.Model.named_parameters()
            .Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0)
            .Select(p => p.name)
            .ToArray();
        missing.Should().BeEmpty($"every parameter of '{name}' must receive a gradient");
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Method_configs_validate_and_describe_themselves(string name)
    {
        var method = MethodRegistry.Get(name);
        method.Validate();
        method.Name.Should().Be(name);
        method.Description.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void A_method_without_objectives_is_rejected()
    {
        var empty = MethodRegistry.Get("vicreg") with { VicReg = null };
        FluentActions.Invoking(empty.Validate).Should().Throw<ArgumentException>().WithMessage("*no objective*");
    }

    [Fact]
    public void Sie_conditioning_on_a_transformation_it_does_not_apply_is_rejected()
    {
        var bad = MethodRegistry.Get("sie-rot") with { Augmentations = [EquiRecon.TorchSharp.Augment.TransformKind.Flip] };
        FluentActions.Invoking(bad.Validate).Should().Throw<ArgumentException>().WithMessage("*Rotation*");
    }
}
