using System.Text;

namespace EquiRecon.TorchSharp.Tests.Build;

/// <summary>A minimal, independent ELF64 section reader used to build corrupt test files.</summary>
internal static class ElfTestLayout
{
    public readonly record struct Section(int Index, uint Type, long Offset, long Size, uint Link);

    public static IEnumerable<Section> Sections(byte[] b)
    {
        long shoff = BitConverter.ToInt64(b, 0x28);
        int shnum = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int o = (int)(shoff + i * 64L);
            yield return new Section(i, BitConverter.ToUInt32(b, o + 4), BitConverter.ToInt64(b, o + 24), BitConverter.ToInt64(b, o + 32), BitConverter.ToUInt32(b, o + 40));
        }
    }

    public static IEnumerable<Section> SectionsOfType(byte[] b, uint type) => Sections(b).Where(s => s.Type == type);

    public static int DynamicSymbolIndex(byte[] b, string name)
    {
        var dynsym = SectionsOfType(b, 11).Single();
        var strtab = Sections(b).ElementAt((int)dynsym.Link);
        for (int i = 0; i < dynsym.Size / 24; i++)
        {
            var nameOffset = BitConverter.ToUInt32(b, (int)(dynsym.Offset + i * 24L));
            int start = (int)(strtab.Offset + nameOffset), end = start;
            while (b[end] != 0) end++;
            if (Encoding.ASCII.GetString(b, start, end - start) == name)
                return i;
        }
        throw new InvalidOperationException(name + " not in .dynsym");
    }
}
