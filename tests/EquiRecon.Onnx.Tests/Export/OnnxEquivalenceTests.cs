using System.Diagnostics;
using System.Globalization;
using EquiRecon.TorchSharp.Data;
using Xunit.Abstractions;

namespace EquiRecon.Onnx.Tests.Export;

/// <summary>
/// ONNX Runtime's features of the exported encoder equal TorchSharp's forward within 1e-4 relative (per image: the
/// largest difference over the largest magnitude of that image's pooled vector, and of its token map), at batch 1 and
/// batch 64, on real images: CIFAR-10 test images for the 32-px presets, Imagenette test images at 224 px.
/// </summary>
public sealed class OnnxEquivalenceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [CifarFact]
    public void The_default_encoder_matches_TorchSharp_on_1000_CIFAR10_test_images()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.Cifar10Test!, 32, perClass: 100);
        data.Count.Should().Be(1000);
        Check(OnnxTestModels.DefaultModelFile(dir), data, 32, "default encoder (small-cifar-resnet, trained)");
    }

    [CifarFact]
    public void A_random_small_cifar_resnet_matches_TorchSharp_on_1000_CIFAR10_test_images()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.Cifar10Test!, 32, perClass: 100);
        Check(OnnxTestModels.RandomModelFile(dir, "small-cifar-resnet", 32), data, 32, "small-cifar-resnet (random)");
    }

    [CifarFact]
    public void A_random_cifar_resnet18_matches_TorchSharp_on_CIFAR10_test_images()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.Cifar10Test!, 32, perClass: CifarResNet18PerClass);
        Check(OnnxTestModels.RandomModelFile(dir, "cifar-resnet18", 32), data, 32, "cifar-resnet18 (random)");
    }

    [ImagenetteFact]
    public void A_random_imagenet_resnet18_matches_TorchSharp_on_Imagenette_test_images_at_224_px()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.ImagenetteTest!, 224, perClass: ImagenettePerClass);
        Check(OnnxTestModels.RandomModelFile(dir, "imagenet-resnet18", 224), data, 224, "imagenet-resnet18 (random)");
    }

    [ImagenetteFact]
    public void A_random_mlnet_resnet18_with_its_input_offset_matches_TorchSharp_at_224_px()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.ImagenetteTest!, 224, perClass: ImagenettePerClass);
        Check(OnnxTestModels.RandomModelFile(dir, "mlnet-resnet18", 224), data, 224, "mlnet-resnet18 (random, offset at its own size)");
    }

    [ImagenetteFact]
    public void A_random_mlnet_resnet18_matches_TorchSharp_at_128_px_with_the_offset_resized_at_export()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.ImagenetteTest!, 128, perClass: 2);
        Check(OnnxTestModels.RandomModelFile(dir, "mlnet-resnet18", 128), data, 128, "mlnet-resnet18 (random, offset 224 -> 128)");
    }

    [CifarFact]
    public void Folding_batch_norm_changes_the_features_by_float_rounding_only()
    {
        using var dir = new TempDir();
        using var data = OnnxTestModels.Images(TestFiles.Cifar10Test!, 32, perClass: 10);
        var model = OnnxTestModels.RandomModelFile(dir, "cifar-resnet18", 32);
        var pixels = OnnxTestModels.Pixels(data.Images);
        var (torchPooled, torchTokens) = OnnxTestModels.TorchForward(model, data.Images, 64);
        foreach (var fold in new[] { true, false })
        {
            using var session = OnnxTestModels.Session(OnnxExport.ExportEncoderToBytes(File.ReadAllBytes(model), new OnnxExportOptions { FoldBatchNorm = fold }));
            var (pooled, tokens) = OnnxTestModels.OrtForward(session, pixels, data.Count, 32, 64);
            var p = OnnxTestModels.WorstRelative(pooled, torchPooled, data.Count);
            var t = OnnxTestModels.WorstRelative(tokens, torchTokens, data.Count);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cifar-resnet18 (random), 100 images, batch norm {(fold ? "folded" : "kept")}: worst relative difference to TorchSharp pooled {p:E2}, tokens {t:E2}"));
            p.Should().BeLessThan(Tolerance);
            t.Should().BeLessThan(Tolerance);
        }
    }

    // The 512-wide presets cost far more per image than the default encoder on a 2-core CI machine: see docs/onnx.md.
    private const int CifarResNet18PerClass = 100;
    private const int ImagenettePerClass = 10;

    private void Check(string modelFile, ImageDataset data, int size, string label)
    {
        var watch = Stopwatch.StartNew();
        var n = data.Count;
        var pixels = OnnxTestModels.Pixels(data.Images);
        var (torchPooled, torchTokens) = OnnxTestModels.TorchForward(modelFile, data.Images, 64);
        var torchSeconds = watch.Elapsed.TotalSeconds;
        using var session = OnnxTestModels.Session(OnnxExport.ExportEncoderToBytes(File.ReadAllBytes(modelFile)));
        foreach (var batch in new[] { 64, 1 })
        {
            var started = watch.Elapsed.TotalSeconds;
            var (pooled, tokens) = OnnxTestModels.OrtForward(session, pixels, n, size, batch);
            var p = OnnxTestModels.WorstRelative(pooled, torchPooled, n);
            var t = OnnxTestModels.WorstRelative(tokens, torchTokens, n);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {n} images at {size} px, ONNX Runtime batch {batch} vs TorchSharp batch 64: worst relative difference pooled {p:E2}, tokens {t:E2} ({watch.Elapsed.TotalSeconds - started:F1} s)"));
            p.Should().BeLessThan(Tolerance, $"batch {batch}, pooled");
            t.Should().BeLessThan(Tolerance, $"batch {batch}, tokens");
        }
        // TorchSharp at batch 1 too, on the first images, against ONNX Runtime at batch 1.
        using var first = data.Take(Math.Min(n, 16));
        var (torch1, _) = OnnxTestModels.TorchForward(modelFile, first.Images, 1);
        var (ort1, _) = OnnxTestModels.OrtForward(session, pixels[..(first.Count * 3 * size * size)], first.Count, size, 1);
        OnnxTestModels.WorstRelative(ort1, torch1, first.Count).Should().BeLessThan(Tolerance, "batch 1 on both sides");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label}: TorchSharp {torchSeconds:F1} s for {n} images (batch 64); whole test {watch.Elapsed.TotalSeconds:F1} s"));
    }
}
