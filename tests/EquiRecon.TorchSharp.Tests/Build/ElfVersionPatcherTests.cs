using System.Diagnostics;
using System.Security.Cryptography;
using EquiRecon.Build;
using EquiRecon.TorchSharp.Runtime;

namespace EquiRecon.TorchSharp.Tests.Build;

public sealed class ElfVersionPatcherTests
{
    private const string Version = "GLIBCXX_3.4.32";
    private const string MarkerSymbol = "_ZSt21ios_base_library_initv";

    private static string Sha(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    [Fact]
    public void Real_library_requires_the_version_through_one_unrelocated_marker_symbol()
    {
        var requirement = ElfVersionPatcher.ReadVersionRequirements(NativeLibraryFiles.Original).Single(r => r.Version == Version);
        requirement.Library.Should().Be("libstdc++.so.6");
        requirement.IsWeak.Should().BeFalse();
        ElfVersionPatcher.SymbolsBoundTo(NativeLibraryFiles.Original, Version).Should().Equal(MarkerSymbol);
    }

    [Fact]
    public void Patching_a_copy_sets_only_the_weak_flag_and_is_idempotent()
    {
        using var dir = new TempDir();
        var originalHash = Sha(NativeLibraryFiles.Original);
        var copy = NativeLibraryFiles.CopyOriginal(dir);
        var before = File.ReadAllBytes(copy);

        ElfVersionPatcher.WeakenVersionRequirements(copy, [Version]).Should().Be(ElfPatchOutcome.Patched);

        var after = File.ReadAllBytes(copy);
        after.Length.Should().Be(before.Length);
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        changed.Should().HaveCount(1, "only the low byte of one vna_flags field changes");
        (after[changed[0]] ^ before[changed[0]]).Should().Be(ElfVersionPatcher.VerFlagWeak);
        var requirements = ElfVersionPatcher.ReadVersionRequirements(copy);
        requirements.Single(r => r.Version == Version).IsWeak.Should().BeTrue();
        requirements.Where(r => r.Version != Version).Should().OnlyContain(r => !r.IsWeak);

        var stamp = File.GetLastWriteTimeUtc(copy);
        ElfVersionPatcher.WeakenVersionRequirements(copy, [Version]).Should().Be(ElfPatchOutcome.AlreadyWeak);
        File.ReadAllBytes(copy).Should().Equal(after);
        File.GetLastWriteTimeUtc(copy).Should().Be(stamp);

        Directory.GetFiles(dir.Path).Should().ContainSingle("no temporary file is left behind");
        Sha(NativeLibraryFiles.Original).Should().Be(originalHash, "the NuGet cache copy is never written");
    }

    [Fact]
    public void A_version_the_file_does_not_require_is_not_written()
    {
        using var dir = new TempDir();
        var copy = NativeLibraryFiles.CopyOriginal(dir);
        var hash = Sha(copy);
        ElfVersionPatcher.WeakenVersionRequirements(copy, ["GLIBCXX_99.0"]).Should().Be(ElfPatchOutcome.NotRequired);
        Sha(copy).Should().Be(hash);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.01)]
    public void Truncated_file_gives_a_clear_error_and_nothing_is_written(double fraction)
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(NativeLibraryFiles.Original);
        var path = dir.File("truncated.so");
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
        var hash = Sha(path);

        var act = () => ElfVersionPatcher.WeakenVersionRequirements(path, [Version]);

        act.Should().Throw<ElfFormatException>().WithMessage($"*{path}*truncated*");
        Sha(path).Should().Be(hash);
        Directory.GetFiles(dir.Path).Should().ContainSingle();
    }

    [Fact]
    public void Corrupt_magic_gives_a_clear_error_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var path = NativeLibraryFiles.CopyOriginal(dir);
        var bytes = File.ReadAllBytes(path);
        bytes[1] = (byte)'X';
        File.WriteAllBytes(path, bytes);

        var act = () => ElfVersionPatcher.WeakenVersionRequirements(path, [Version]);

        act.Should().Throw<ElfFormatException>().WithMessage("*not an ELF file*");
        File.ReadAllBytes(path).Should().Equal(bytes);
    }

    [Fact]
    public void Corrupt_version_table_gives_a_clear_error_and_nothing_is_written()
    {
        using var dir = new TempDir();
        var path = NativeLibraryFiles.CopyOriginal(dir);
        var bytes = File.ReadAllBytes(path);
        var verneed = ElfTestLayout.SectionsOfType(bytes, 0x6ffffffe).Single();
        // vn_aux of the first entry points far outside the section.
        WriteU32(bytes, verneed.Offset + 8, 0x7fffff00);
        File.WriteAllBytes(path, bytes);

        var act = () => ElfVersionPatcher.WeakenVersionRequirements(path, [Version]);

        act.Should().Throw<ElfFormatException>().WithMessage("*.gnu.version_r*");
        File.ReadAllBytes(path).Should().Equal(bytes);
    }

    [Fact]
    public void Refuses_when_a_relocation_uses_a_symbol_of_the_version()
    {
        using var dir = new TempDir();
        var path = NativeLibraryFiles.CopyOriginal(dir);
        var bytes = File.ReadAllBytes(path);
        var symbolIndex = ElfTestLayout.DynamicSymbolIndex(bytes, MarkerSymbol);
        var rela = ElfTestLayout.SectionsOfType(bytes, 4).First();
        // Point the first relocation of .rela.dyn at the marker symbol (keep its type).
        var info = BitConverter.ToUInt64(bytes, (int)rela.Offset + 8);
        var patched = ((ulong)symbolIndex << 32) | (info & 0xffffffffUL);
        BitConverter.GetBytes(patched).CopyTo(bytes, (int)rela.Offset + 8);
        File.WriteAllBytes(path, bytes);

        var act = () => ElfVersionPatcher.WeakenVersionRequirements(path, [Version]);

        act.Should().Throw<ElfPatchRefusedException>()
            .WithMessage($"*{MarkerSymbol}*newer*")
            .Which.Symbols.Should().ContainSingle().Which.Should().StartWith(MarkerSymbol);
        File.ReadAllBytes(path).Should().Equal(bytes);
    }

    [Fact]
    public void Output_copy_loads_on_this_system_and_ldd_reports_no_missing_version()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var system = LibStdCxxCompat.FindSystemLibStdCxx();
        system.Should().NotBeNull();
        var output = NativeLibraryFiles.OutputCopy;
        var missing = LibStdCxxCompat.MissingVersions(NativeLibraryFiles.Original, system!);
        var requirements = ElfVersionPatcher.ReadVersionRequirements(output);
        requirements.Where(r => missing.Contains(r.Version)).Should().OnlyContain(r => r.IsWeak,
            "the build step marks every version this system lacks weak");

        var psi = new ProcessStartInfo("ldd", output) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var ldd = Process.Start(psi)!;
        var text = ldd.StandardOutput.ReadToEnd() + ldd.StandardError.ReadToEnd();
        ldd.WaitForExit();
        ldd.ExitCode.Should().Be(0, text);
        var missingLines = text.Split('\n').Where(l => l.Contains("not found", StringComparison.Ordinal)).ToArray();
        missingLines.Should().OnlyContain(l => l.Contains("weak version", StringComparison.Ordinal),
            "ldd may list the weakened version, but no library and no non-weak version may be missing");
    }

    [Fact]
    public void Runtime_guard_rejects_an_unpatched_copy_where_the_system_lacks_the_version()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var system = LibStdCxxCompat.FindSystemLibStdCxx()!;
        if (LibStdCxxCompat.MissingVersions(NativeLibraryFiles.Original, system).Count == 0)
            return; // a new distribution: the original loads as it is
        var act = () => TorchNative.CheckVersions(NativeLibraryFiles.Original);
        act.Should().Throw<InvalidOperationException>().WithMessage($"*{Version}*EquiReconPatchLibTorchSharp*");
        TorchNative.CheckVersions(NativeLibraryFiles.OutputCopy);
    }

    private static void WriteU32(byte[] bytes, long offset, uint value) => BitConverter.GetBytes(value).CopyTo(bytes, (int)offset);
}
