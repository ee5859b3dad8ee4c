using System.Diagnostics;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using Xunit.Abstractions;

namespace EquiRecon.TorchSharp.Tests.Training;

/// <summary>
/// The method's claim in miniature: after a few hundred steps of equirecon on synthetic shapes, the
/// rotation of an image relative to its original is predicted far better from the equivariant part
/// than from the invariant part.
/// </summary>
public sealed class EquivarianceEmergesTests(ITestOutputHelper output)
{
    [Fact]
    public void Rotation_is_predicted_better_from_the_equivariant_part_after_equirecon()
    {
        var clock = Stopwatch.StartNew();
        var data = SyntheticShapes.Generate(2048, 32, seed: 1).Dataset;
        var encoder = new ResNetEncoderConfig(ResNetStem.Cifar, [8, 16, 16, 32], [1, 1, 1, 1]);
        // Rotation is the only augmentation, so VICReg pushes rotation out of the invariant part and
        // the reconstruction of view B has to get it from B's equivariant part.
        var method = MethodRegistry.Get("equirecon").WithHeadSizes(new HeadSizes(64, 32, new ReconstructionDecoderOptions(Width: 32, Heads: 2, Depth: 1)))
            with { Augmentations = [TransformKind.Rotation] };
        var options = new PretrainingOptions { Steps = 300, BatchSize = 64, LearningRate = 2e-3, Seed = 1, Threads = 2 };
        using var dir = new TempDir();
        var modelPath = dir.File("model.equirecon");
        using (var trainer = new Pretrainer(method, encoder, options, data))
        {
            trainer.Train();
            trainer.SaveModel(modelPath);
        }
        var trainSeconds = clock.Elapsed.TotalSeconds;

        using var frozen = ModelFile.Load(modelPath);
        var probeData = SyntheticShapes.Generate(10240, 32, seed: 2).Dataset;
        var train = TransformationProbes.Embed(frozen, probeData.Take(8192), TransformKind.Rotation, seed: 3);
        var test = TransformationProbes.Embed(frozen, probeData.Subset(global::TorchSharp.torch.arange(8192, 10240)), TransformKind.Rotation, seed: 4);
        var probe = new ProbeOptions { Hidden = 128, Epochs = 20, BatchSize = 128, Seed = 5 };
        var equivariant = TransformationProbes.Fit(train, test, frozen.Split, RepresentationPart.Equivariant, probe).RSquaredGlobal;
        var invariant = TransformationProbes.Fit(train, test, frozen.Split, RepresentationPart.Invariant, probe).RSquaredGlobal;
        output.WriteLine($"train {trainSeconds:F1}s, total {clock.Elapsed.TotalSeconds:F1}s: rotation R² equivariant {equivariant:F3}, invariant {invariant:F3}");

        equivariant.Should().BeGreaterThan(invariant + 0.1, "the reconstruction makes the equivariant part carry the rotation");
        equivariant.Should().BeGreaterThan(0.25);
    }
}
