using System.Text.Json;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Training;

/// <summary><see cref="PretrainingOptions.InitFrom"/> and <see cref="PretrainingOptions.FrozenStages"/>.</summary>
public sealed class ContinuedPretrainingTests
{
    private static readonly float[] InitMean = [0.5f, 0.4f, 0.3f];
    private static readonly float[] InitStd = [0.2f, 0.25f, 0.3f];

    private static Dictionary<string, float[]> Tensors(torch.nn.Module module, Func<string, bool>? keep = null) =>
        module.state_dict().Where(kv => keep?.Invoke(kv.Key) ?? true)
            .ToDictionary(kv => kv.Key, kv => kv.Value.to(torch.ScalarType.Float32).cpu().data<float>().ToArray());

    private static void ShouldBeIdentical(Dictionary<string, float[]> a, Dictionary<string, float[]> b)
    {
        a.Keys.Should().BeEquivalentTo(b.Keys);
        foreach (var key in a.Keys)
            a[key].Should().Equal(b[key], $"tensor {key} must be bit-identical");
    }

    /// <summary>A model file of <see cref="Tiny.Encoder"/> after 2 steps, with its own mean and std.</summary>
    private static string InitFile(TempDir dir)
    {
        var path = dir.File("init.equirecon");
        var options = Tiny.Options(2) with { Seed = 11, Mean = InitMean, Std = InitStd };
        using var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, options, Tiny.RandomImages(16, seed: 9));
        trainer.Train();
        trainer.SaveModel(path);
        return path;
    }

    private static bool IsFrozen(string name, int stages) =>
        name.StartsWith("conv1.", StringComparison.Ordinal) || name.StartsWith("bn1.", StringComparison.Ordinal)
        || Enumerable.Range(1, stages).Any(s => name.StartsWith($"layer{s}.", StringComparison.Ordinal));

    [Fact]
    public void The_encoder_starts_from_every_tensor_of_the_init_file_and_the_model_keeps_its_normalisation()
    {
        using var dir = new TempDir();
        var init = InitFile(dir);
        var data = Tiny.RandomImages(16);
        var options = Tiny.Options(2).ContinuingFrom(init);
        options.Mean.Should().Equal(InitMean);
        options.Std.Should().Equal(InitStd);

        using var trainer = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, options, data);
        using (var loaded = ModelFile.Load(init))
            ShouldBeIdentical(Tensors(trainer.Model.Encoder), Tensors(loaded.Encoder));
        trainer.InitManifest!.WeightsSha256.Should().Be(ModelFile.ReadManifest(init).WeightsSha256);

        // The heads are initialised from the seed exactly as without an init file.
        using (var plain = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, Tiny.Options(2), data))
        {
            static bool Head(string name) => !name.StartsWith("encoder.", StringComparison.Ordinal);
            ShouldBeIdentical(Tensors(trainer.Model, Head), Tensors(plain.Model, Head));
        }

        trainer.Train().Should().BeTrue();
        var saved = dir.File("continued.equirecon");
        trainer.SaveModel(saved);
        var manifest = ModelFile.ReadManifest(saved);
        manifest.Mean.Should().Equal(InitMean);
        manifest.Std.Should().Equal(InitStd);
    }

    [Fact]
    public void An_init_file_of_another_architecture_or_normalisation_is_refused_naming_both()
    {
        using var dir = new TempDir();
        var init = InitFile(dir);
        var data = Tiny.RandomImages(16);
        var deeper = new ResNetEncoderConfig(ResNetStem.Cifar, [8, 8, 16, 16], [1, 1, 1, 2]);

        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), deeper, Tiny.Options(1).ContinuingFrom(init), data))
            .Should().Throw<ArgumentException>().WithMessage("*InitFrom*blocks [1, 1, 1, 1]*blocks [1, 1, 1, 2]*");
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { InitFrom = init }, data))
            .Should().Throw<ArgumentException>().WithMessage("*mean (0.5, 0.4, 0.3)*Mean and Std*");
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { InitFrom = dir.File("missing.equirecon") }, data))
            .Should().Throw<ModelFileException>().WithMessage("*missing.equirecon*");
    }

    [Fact]
    public void Frozen_stages_keep_weights_and_batchnorm_statistics_while_later_stages_train()
    {
        var options = Tiny.Options(3) with { FrozenStages = 2 };
        using var trainer = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, options, Tiny.RandomImages(16));
        var before = Tensors(trainer.Model.Encoder);
        trainer.Model.FrozenStages.Should().Be(2);

        trainer.Train().Should().BeTrue();
        trainer.Model.train();  // putting the model in training mode again keeps the frozen stages in eval mode
        trainer.TrainSteps(1);

        var after = Tensors(trainer.Model.Encoder);
        var frozen = before.Keys.Where(k => IsFrozen(k, 2)).ToArray();
        frozen.Should().Contain(["conv1.weight", "bn1.running_mean", "bn1.running_var", "layer2.0.bn1.running_var"]);
        foreach (var key in frozen)
            after[key].Should().Equal(before[key], $"{key} is frozen");
        foreach (var key in new[] { "layer3.0.conv1.weight", "layer4.0.conv1.weight", "layer3.0.bn1.running_mean" })
            after[key].Should().NotEqual(before[key], $"{key} trains");

        var trainable = trainer.TrainableParameters;
        trainable.Should().OnlyContain(p => p.requires_grad);
        trainable.Should().HaveCount(trainer.Model.parameters().Count(p => p.requires_grad));
        var frozenCount = trainer.Model.Encoder.named_parameters().Count(p => IsFrozen(p.name, 2));
        trainable.Should().HaveCount(trainer.Model.parameters().Count() - frozenCount);
        trainer.Model.Encoder.named_parameters().Where(p => IsFrozen(p.name, 2)).Should().OnlyContain(p => !p.parameter.requires_grad);
    }

    [Fact]
    public void Frozen_stages_out_of_range_are_refused_naming_the_option()
    {
        var data = Tiny.RandomImages(8);
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { FrozenStages = 5 }, data))
            .Should().Throw<ArgumentOutOfRangeException>().WithMessage("*FrozenStages must lie in [0, 4]*got 5*");
        FluentActions.Invoking(() => new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { FrozenStages = -1 }, data))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("FrozenStages");
        using var all = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { FrozenStages = 4 }, data);
        all.Train().Should().BeTrue("freezing every stage leaves the heads to train");
    }

    [Fact]
    public void A_checkpoint_of_another_freeze_or_init_is_refused_naming_the_setting_and_both_values()
    {
        using var dir = new TempDir();
        var init = InitFile(dir);
        var data = Tiny.RandomImages(16);
        var checkpoint = dir.File("run.ckpt");
        var options = Tiny.Options(1) with { CheckpointPath = checkpoint, FrozenStages = 1 };
        using (var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, options, data))
            trainer.Train();

        FluentActions.Invoking(() => Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, options with { FrozenStages = 0 }, data, checkpoint))
            .Should().Throw<ModelFileException>().WithMessage("*FrozenStages: 1 in the checkpoint, 0 in this run*");
        FluentActions.Invoking(() => Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, options.ContinuingFrom(init), data, checkpoint))
            .Should().Throw<ModelFileException>().WithMessage($"*InitFrom*none in the checkpoint, {ModelFile.ReadManifest(init).WeightsSha256} in this run*");
    }

    [Fact]
    public void An_interrupted_run_with_init_and_freeze_resumes_to_the_same_weights()
    {
        using var dir = new TempDir();
        var init = InitFile(dir);
        var data = Tiny.RandomImages(24);
        var options = (Tiny.Options(7) with { FrozenStages = 1 }).ContinuingFrom(init);
        using var straight = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, options, data);
        straight.Train();

        var checkpoint = dir.File("run.ckpt");
        var periodic = options with { CheckpointPath = checkpoint, CheckpointEvery = 2 };
        using (var crashing = new Pretrainer(Tiny.Method("equirecon"), Tiny.Encoder, periodic, data))
        {
            var act = () => crashing.Train(new Progress(p => { if (p.Step == 5) throw new InvalidOperationException("killed"); }));
            act.Should().Throw<InvalidOperationException>();
        }

        using var resumed = Pretrainer.Resume(Tiny.Method("equirecon"), Tiny.Encoder, periodic, data, checkpoint);
        resumed.Step.Should().Be(4);
        resumed.Train();
        ShouldBeIdentical(Tensors(straight.Model), Tensors(resumed.Model));
    }

    private sealed class Progress(Action<TrainingProgress> onReport) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => onReport(value);
    }
}
