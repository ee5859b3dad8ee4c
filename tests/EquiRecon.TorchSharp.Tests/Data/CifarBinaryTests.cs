using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Runtime;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Data;

public sealed class CifarBinaryTests
{
    public CifarBinaryTests() => TorchNative.EnsureLoaded();

    /// <summary>Records whose pixel at plane c, row y, column x is (index·7 + c·3 + y·5 + x) mod 256.</summary>
    private static byte[] Records(int count, params byte[][] labels)
    {
        var recordSize = labels.Length + 3072;
        var bytes = new byte[count * recordSize];
        for (var i = 0; i < count; i++)
        {
            for (var l = 0; l < labels.Length; l++)
                bytes[i * recordSize + l] = labels[l][i];
            for (var c = 0; c < 3; c++)
                for (var y = 0; y < 32; y++)
                    for (var x = 0; x < 32; x++)
                        bytes[i * recordSize + labels.Length + c * 1024 + y * 32 + x] = (byte)((i * 7 + c * 3 + y * 5 + x) % 256);
        }
        return bytes;
    }

    [Fact]
    public void Cifar10_test_batch_reads_back_exactly()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(3, [9, 0, 4]));
        using var scope = NewDisposeScope();
        using var data = Cifar10Binary.Read(dir.Path, train: false);

        data.Count.Should().Be(3);
        data.Images.shape.Should().Equal(3, 3, 32, 32);
        data.Images.dtype.Should().Be(ScalarType.Byte);
        data.Labels.data<long>().ToArray().Should().Equal(9, 0, 4);
        data.ClassNames.Should().HaveCount(10).And.StartWith("airplane");
        data.Images[2, 1, 3, 4].item<byte>().Should().Be((byte)(2 * 7 + 1 * 3 + 3 * 5 + 4));
        data.Images[0, 2, 31, 31].item<byte>().Should().Be((byte)((0 + 6 + 155 + 31) % 256));
    }

    [Fact]
    public void Cifar10_train_reads_five_batches_in_order_from_the_tarball_folder()
    {
        using var dir = new TempDir();
        var folder = Directory.CreateDirectory(Path.Combine(dir.Path, Cifar10Binary.TarballFolder)).FullName;
        for (var b = 1; b <= 5; b++)
            File.WriteAllBytes(Path.Combine(folder, $"data_batch_{b}.bin"), Records(1, [(byte)b]));
        using var data = Cifar10Binary.Read(dir.Path, train: true);
        data.Labels.data<long>().ToArray().Should().Equal(1, 2, 3, 4, 5);
    }

    [Fact]
    public void Cifar100_uses_fine_labels()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("train.bin"), Records(2, [3, 19], [42, 99]));
        using var data = Cifar100Binary.Read(dir.Path, train: true);
        data.Labels.data<long>().ToArray().Should().Equal(42, 99);
        data.ClassNames.Should().HaveCount(100);
        data.ClassNames[99].Should().Be("worm");
        data.Images[1, 0, 0, 1].item<byte>().Should().Be(8);
    }

    [Fact]
    public void Missing_file_names_the_file_and_the_layout()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), Records(1, [0]));
        var act = () => Cifar10Binary.Read(dir.Path, train: true);
        act.Should().Throw<FileNotFoundException>().WithMessage("*data_batch_2.bin*3073-byte records*");
    }

    [Fact]
    public void Truncated_file_names_the_file_and_the_record_size()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(2, [1, 2])[..5000]);
        var act = () => Cifar10Binary.Read(dir.Path, train: false);
        act.Should().Throw<InvalidDataException>().WithMessage("*test_batch.bin*5000 bytes*3073-byte record*");
    }

    [Fact]
    public void Out_of_range_label_names_the_record()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("test_batch.bin"), Records(2, [1, 10]));
        var act = () => Cifar10Binary.Read(dir.Path, train: false);
        act.Should().Throw<InvalidDataException>().WithMessage("*test_batch.bin*record 1*label 10*");
    }
}
