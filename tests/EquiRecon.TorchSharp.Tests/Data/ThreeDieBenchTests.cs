using System.Text;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Runtime;
using SkiaSharp;

namespace EquiRecon.TorchSharp.Tests.Data;

public sealed class ThreeDieBenchTests
{
    public ThreeDieBenchTests() => TorchNative.EnsureLoaded();

    private static void WriteImage(string path, SKColor colour)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(8, 8, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        bitmap.Erase(colour);
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100); // decoders sniff the content, whatever the name
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data.ToArray());
    }

    /// <summary>Writes a version-1 .npy file of float32 or float64 values, as numpy.save does.</summary>
    internal static void WriteNpy(string path, double[] values, bool float32 = true)
    {
        var header = $"{{'descr': '{(float32 ? "<f4" : "<f8")}', 'fortran_order': False, 'shape': ({values.Length},), }}";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
        foreach (var v in values)
            stream.Write(float32 ? BitConverter.GetBytes((float)v) : BitConverter.GetBytes(v));
    }

    [Fact]
    public void Reads_images_labels_and_latents_in_layout_order()
    {
        using var dir = new TempDir();
        var root = dir.Path;
        WriteImage(Path.Combine(root, "02691156", "objA", "image_0.jpg"), new SKColor(200, 0, 0));
        WriteNpy(Path.Combine(root, "02691156", "objA", "latent_0.npy"), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
        WriteImage(Path.Combine(root, "02691156", "objA", "image_1.jpg"), new SKColor(0, 200, 0));
        WriteNpy(Path.Combine(root, "02691156", "objA", "latent_1.npy"), [1, 2, 3, 4, 5, 6, 7], float32: false);
        WriteImage(Path.Combine(root, "03001627", "objB", "image_0.jpg"), new SKColor(0, 0, 200));
        WriteNpy(Path.Combine(root, "03001627", "objB", "latent_0.npy"), [-1, -2, -3, -4, -5, -6, -7]);

        var data = ThreeDieBench.Read(root, imageSize: 8);

        data.Dataset.Count.Should().Be(3);
        data.Dataset.ClassNames.Should().Equal("02691156", "03001627");
        data.Dataset.Labels.data<long>().ToArray().Should().Equal(0, 0, 1);
        data.Latents.shape.Should().Equal(3, 7);
        data.Latents[1].data<float>().ToArray().Should().Equal(1, 2, 3, 4, 5, 6, 7);
        data.Latents[0][6].item<float>().Should().BeApproximately(0.7f, 1e-7f);
        data.Dataset.Images[2, 2, 4, 4].item<byte>().Should().Be(200, "the third image is blue");
    }

    [Fact]
    public void Missing_latent_and_missing_root_are_named()
    {
        using var dir = new TempDir();
        WriteImage(Path.Combine(dir.Path, "s", "o", "image_3.jpg"), SKColors.White);
        FluentActions.Invoking(() => ThreeDieBench.Read(dir.Path)).Should().Throw<InvalidDataException>().WithMessage("*latent_3.npy*");
        FluentActions.Invoking(() => ThreeDieBench.Read(dir.File("none"))).Should().Throw<DirectoryNotFoundException>().WithMessage("*image_<k>.jpg*");
    }

    [Fact]
    public void Npy_reader_rejects_other_dtypes_and_truncation_with_the_file_named()
    {
        using var dir = new TempDir();
        var path = dir.File("a.npy");
        WriteNpy(path, [1, 2, 3]);
        NpyFile.ReadDoubles(path).Values.Should().Equal(1, 2, 3);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 2).ToArray());
        FluentActions.Invoking(() => NpyFile.ReadDoubles(path)).Should().Throw<InvalidDataException>().WithMessage($"*{path}*truncated*");
        File.WriteAllBytes(path, Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(bytes).Replace("<f4", "<i4")));
        FluentActions.Invoking(() => NpyFile.ReadDoubles(path)).Should().Throw<InvalidDataException>().WithMessage("*<i4*");
        File.WriteAllBytes(path, [1, 2, 3]);
        FluentActions.Invoking(() => NpyFile.ReadDoubles(path)).Should().Throw<InvalidDataException>().WithMessage("*not a .npy*");
    }
}
