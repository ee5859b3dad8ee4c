using System.Security.Cryptography;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.IO;

public sealed class DefaultEncoderTests
{
    [Fact]
    public void The_embedded_model_file_has_the_recorded_SHA256_and_reading_returns_a_copy()
    {
        var bytes = DefaultEncoder.ReadBytes();
        Convert.ToHexStringLower(SHA256.HashData(bytes)).Should().Be(DefaultEncoder.Sha256);
        bytes[0] ^= 0xFF;
        Convert.ToHexStringLower(SHA256.HashData(DefaultEncoder.ReadBytes())).Should().Be(DefaultEncoder.Sha256, "callers get a copy");
        bytes.Length.Should().BeLessThan(8 * 1024 * 1024, "the package carries it; keep it small");
    }

    [Fact]
    public void The_manifest_describes_the_small_cifar_resnet_trained_with_equirecon()
    {
        var manifest = DefaultEncoder.ReadManifest();
        manifest.Method.Should().Be("equirecon");
        manifest.InputSize.Should().Be(32);
        EncoderSpecs.ToConfig(manifest.Encoder).Should().BeEquivalentTo(ResNetEncoderConfig.SmallCifarResNet);
        manifest.Mean.Should().Equal(ImageTensors.Cifar10Mean);
        manifest.Provenance.Should().ContainKey("command");
    }

    [Fact]
    public void Loads_and_encodes_a_batch_into_finite_invariant_and_equivariant_parts()
    {
        using var encoder = DefaultEncoder.Load();
        using var scope = NewDisposeScope();
        var images = randint(0, 256, [4, 3, 32, 32], dtype: ScalarType.Byte);
        var output = encoder.Encode(images);
        output.Pooled.shape.Should().Equal(4, 256);
        encoder.Split.InvariantChannels.Should().Be(128);
        encoder.Split.EquivariantChannels.Should().Be(128);
        output.Pooled.isfinite().all().item<bool>().Should().BeTrue();
    }

    [Cifar10Fact]
    public void On_CIFAR10_its_features_classify_better_than_a_randomly_initialised_encoder()
    {
        var root = SharedData.Cifar10Directory!;
        using var train = ImageFolder.Read(Path.Combine(root, "train"), imageSize: 32, limitPerClass: 50);
        using var test = ImageFolder.Read(Path.Combine(root, "test"), imageSize: 32, limitPerClass: 30);

        using var pretrained = DefaultEncoder.Load();
        var manifest = DefaultEncoder.ReadManifest();
        using var dir = new TempDir();
        torch.manual_seed(0);
        using (var init = EncoderFactory.Create(ResNetEncoderConfig.SmallCifarResNet))
            ModelFile.Save(dir.File("random.equirecon"), init, "random", 32, manifest.Mean, manifest.Std);
        using var random = ModelFile.Load(dir.File("random.equirecon"));

        var ours = KnnTop1(pretrained, train, test);
        var baseline = KnnTop1(random, train, test);
        ours.Should().BeGreaterThan(baseline + 0.05, $"kNN top-1 of the default encoder {ours:P1} vs random init {baseline:P1}");
    }

    private static double KnnTop1(PretrainedEncoder encoder, ImageDataset train, ImageDataset test)
    {
        using var scope = NewDisposeScope();
        var trainX = encoder.Encode(train.Images).Pooled;
        var testX = encoder.Encode(test.Images).Pooled;
        return KnnClassifier.Evaluate(trainX, train.Labels, testX, test.Labels).Top1;
    }
}
