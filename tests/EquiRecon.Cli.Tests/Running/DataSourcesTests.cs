using TorchSharp;
using EquiRecon.Cli.Running;

namespace EquiRecon.Cli.Tests.Running;

public sealed class DataSourcesTests
{
    /// <summary>Writes a CIFAR-10 binary folder: 5 training batches and a test batch of <paramref name="perFile"/> records each.</summary>
    private static string WriteCifarBinary(string dir, int perFile)
    {
        Directory.CreateDirectory(dir);
        string[] files = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"];
        var label = 0;
        foreach (var name in files)
        {
            var bytes = new byte[perFile * 3073];
            for (var r = 0; r < perFile; r++)
            {
                bytes[r * 3073] = (byte)(label++ % 10);
                bytes.AsSpan(r * 3073 + 1, 3072).Fill((byte)(r * 20));
            }
            File.WriteAllBytes(Path.Combine(dir, name), bytes);
        }
        return dir;
    }

    [Fact]
    public void A_cifar_binary_folder_is_read_for_pretraining_and_evaluation()
    {
        using var dir = new TempDir();
        var data = WriteCifarBinary(dir.Sub("cifar"), perFile: 10);

        DataSources.IsCifarBinary(data).Should().BeTrue();
        using var all = DataSources.ReadPretraining(data, 32, limitPerClass: null);
        all.Count.Should().Be(50);
        using var limited = DataSources.ReadPretraining(data, 32, limitPerClass: 2);
        limited.Count.Should().Be(20);
        using var test = DataSources.ReadSplit(data, train: false, 32, count: 5);
        test.Count.Should().Be(5);
        test.Labels.data<long>().ToArray().Should().OnlyHaveUniqueItems("five images of a balanced subset come from five classes");

        var act = () => DataSources.ReadPretraining(data, 24, limitPerClass: null);
        act.Should().Throw<CliException>().WithMessage("*--image-size*32*");
    }

    [Fact]
    public void A_folder_with_splits_is_read_from_its_train_folder()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteSplits(dir.Sub("data"), trainPerClass: 5, testPerClass: 3);
        using var pretraining = DataSources.ReadPretraining(data, 16, limitPerClass: null);
        pretraining.Count.Should().Be(10);
        pretraining.ClassNames.Should().Equal("circles", "squares");
        using var test = DataSources.ReadSplit(data, train: false, 16, count: 3);
        test.Count.Should().Be(3);
    }

    [Fact]
    public void A_random_split_is_disjoint_complete_and_the_same_for_a_seed()
    {
        using var images = torch.zeros([20, 3, 2, 2], dtype: torch.uint8);
        using var labels = torch.arange(20, dtype: torch.int64);
        using var data = new EquiRecon.TorchSharp.Data.ImageDataset(images, labels, ["a"]);

        var (first, others) = DataSources.RandomSplit(data, 15, seed: 0);
        var (again, _) = DataSources.RandomSplit(data, 15, seed: 0);
        using (first)
        using (others)
        using (again)
        {
            var a = first.Labels.data<long>().ToArray();
            var b = others.Labels.data<long>().ToArray();
            a.Should().HaveCount(15);
            b.Should().HaveCount(5);
            a.Intersect(b).Should().BeEmpty("probe-train and probe-test images are disjoint");
            a.Concat(b).Order().Should().Equal(Enumerable.Range(0, 20).Select(i => (long)i));
            again.Labels.data<long>().ToArray().Should().Equal(a);
            a.Should().NotEqual(Enumerable.Range(0, 15).Select(i => (long)i), "the split is random, not the first images");
        }
        var act = () => DataSources.RandomSplit(data, 20, seed: 0);
        act.Should().Throw<CliException>().WithMessage("*20 images*");
    }
}
