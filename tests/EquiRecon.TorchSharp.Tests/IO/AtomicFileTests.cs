using EquiRecon.TorchSharp.IO;

namespace EquiRecon.TorchSharp.Tests.IO;

public sealed class AtomicFileTests
{
    [Fact]
    public void Writes_new_content_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        var path = dir.File("a.bin");
        AtomicFile.Write(path, s => s.Write([1, 2, 3]));
        AtomicFile.Write(path, s => s.Write([4, 5]));
        File.ReadAllBytes(path).Should().Equal(4, 5);
        Directory.GetFiles(dir.Path).Should().ContainSingle();
    }

    [Fact]
    public void A_failing_writer_keeps_the_previous_file_intact()
    {
        using var dir = new TempDir();
        var path = dir.File("a.bin");
        AtomicFile.Write(path, s => s.Write([1, 2, 3]));

        var act = () => AtomicFile.Write(path, s =>
        {
            s.Write([9, 9]);
            throw new IOException("disk on fire");
        });

        act.Should().Throw<IOException>().WithMessage("disk on fire");
        File.ReadAllBytes(path).Should().Equal(1, 2, 3);
        Directory.GetFiles(dir.Path).Should().ContainSingle("the temporary file is removed");
    }
}
