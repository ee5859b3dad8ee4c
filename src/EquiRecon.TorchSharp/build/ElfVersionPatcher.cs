// Linux compatibility step for TorchSharp's native library (libLibTorchSharp.so).
//
// libLibTorchSharp.so (TorchSharp 0.101 ... 0.107) carries a version requirement on GLIBCXX_3.4.32
// (GCC 13's libstdc++). Debian 12 and Ubuntu 22.04 ship 3.4.30, so the loader refuses the library.
// The only symbol bound to that version is std::ios_base_library_init(), a link-time marker that no
// relocation uses. Marking that one version requirement VER_FLG_WEAK makes the loader accept the
// library without changing any code path.
//
// This file is compiled twice:
//   * by MSBuild's RoslynCodeTaskFactory (buildTransitive/EquiRecon.TorchSharp.targets), where the
//     task class at the bottom is included; it must stay netstandard2.0-compatible C#;
//   * into EquiRecon.TorchSharp with EQUIRECON_NO_MSBUILD_TASK defined, where the runtime guard and
//     the tests use the same reader.
//
// Safety rules: the file is fully validated before anything is written; nothing is written when a
// relocation refers to a symbol of the version; the patched copy is written to a temporary file
// beside the target and renamed over it, so hard-linked or symlinked copies (for example into the
// NuGet cache) are never modified in place.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace EquiRecon.Build
{
    /// <summary>The file is not a well-formed 64-bit little-endian ELF file.</summary>
    internal sealed class ElfFormatException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public ElfFormatException(string message) : base(message) { }
    }

    /// <summary>The version cannot be weakened safely: relocations refer to symbols bound to it.</summary>
    internal sealed class ElfPatchRefusedException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public ElfPatchRefusedException(string message, IReadOnlyList<string> symbols) : base(message) { Symbols = symbols; }

        /// <summary>Names of the symbols bound to the version that relocations refer to.</summary>
        public IReadOnlyList<string> Symbols { get; }
    }

    /// <summary>What <see cref="ElfVersionPatcher.WeakenVersionRequirements"/> did.</summary>
    internal enum ElfPatchOutcome
    {
        /// <summary>None of the requested versions is required by the file: nothing to do.</summary>
        NotRequired,
        /// <summary>Every requested version requirement was already weak: nothing written.</summary>
        AlreadyWeak,
        /// <summary>At least one requirement was marked weak and the file was rewritten.</summary>
        Patched,
    }

    /// <summary>One entry of the <c>.gnu.version_r</c> table.</summary>
    internal sealed class ElfVersionRequirement
    {
        internal ElfVersionRequirement(string library, string version, ushort index, ushort flags, long flagsOffset)
        {
            Library = library; Version = version; Index = index; Flags = flags; FlagsOffset = flagsOffset;
        }

        /// <summary>The needed library, e.g. <c>libstdc++.so.6</c>.</summary>
        public string Library { get; }
        /// <summary>The version name, e.g. <c>GLIBCXX_3.4.32</c>.</summary>
        public string Version { get; }
        /// <summary>The version index used in <c>.gnu.version</c>.</summary>
        public ushort Index { get; }
        /// <summary>The <c>vna_flags</c> field.</summary>
        public ushort Flags { get; }
        /// <summary>True when VER_FLG_WEAK is set.</summary>
        public bool IsWeak => (Flags & ElfVersionPatcher.VerFlagWeak) != 0;
        internal long FlagsOffset { get; }
    }

    /// <summary>Reads ELF version tables and weakens version requirements that no relocation uses.</summary>
    internal static class ElfVersionPatcher
    {
        /// <summary>VER_FLG_WEAK.</summary>
        public const ushort VerFlagWeak = 0x2;

        /// <summary>Lists the version requirements of an ELF file (its <c>.gnu.version_r</c> section).</summary>
        public static IReadOnlyList<ElfVersionRequirement> ReadVersionRequirements(string path)
        {
            var elf = ElfImage.Read(path);
            return elf.ReadVersionRequirements();
        }

        /// <summary>Lists the version names an ELF file defines (its <c>.gnu.version_d</c> section).</summary>
        public static IReadOnlyList<string> ReadVersionDefinitions(string path)
        {
            var elf = ElfImage.Read(path);
            return elf.ReadVersionDefinitions();
        }

        /// <summary>Names of the dynamic symbols bound to a required version.</summary>
        public static IReadOnlyList<string> SymbolsBoundTo(string path, string version)
        {
            var elf = ElfImage.Read(path);
            var req = elf.ReadVersionRequirements().FirstOrDefault(r => r.Version == version);
            return req is null ? Array.Empty<string>() : elf.SymbolsWithVersionIndex(req.Index).Select(s => s.Name).ToArray();
        }

        /// <summary>
        /// Marks the requirements on <paramref name="versions"/> VER_FLG_WEAK, after checking that no
        /// relocation refers to a symbol bound to any of them. The file is validated completely before
        /// anything is written, and rewritten through a temporary file and a rename.
        /// </summary>
        /// <exception cref="ElfFormatException">The file is truncated or not a 64-bit little-endian ELF file.</exception>
        /// <exception cref="ElfPatchRefusedException">A relocation uses a symbol of one of the versions.</exception>
        public static ElfPatchOutcome WeakenVersionRequirements(string path, IEnumerable<string> versions)
        {
            var wanted = new HashSet<string>(versions, StringComparer.Ordinal);
            var elf = ElfImage.Read(path);
            var requirements = elf.ReadVersionRequirements().Where(r => wanted.Contains(r.Version)).ToList();
            if (requirements.Count == 0)
                return ElfPatchOutcome.NotRequired;

            var used = new List<string>();
            foreach (var req in requirements)
                used.AddRange(elf.RelocatedSymbolsWithVersionIndex(req.Index).Select(n => n + "@" + req.Version));
            if (used.Count > 0)
            {
                throw new ElfPatchRefusedException(
                    path + ": relocations refer to symbols bound to " + string.Join(", ", requirements.Select(r => r.Version)) +
                    " (" + string.Join(", ", used.Distinct()) + "); marking the version weak would break them. " +
                    "Install a libstdc++ that provides the version (GCC 13 or newer) instead.",
                    used.Distinct().ToArray());
            }

            var toPatch = requirements.Where(r => !r.IsWeak).ToList();
            if (toPatch.Count == 0)
                return ElfPatchOutcome.AlreadyWeak;

            var bytes = elf.Bytes;
            foreach (var req in toPatch)
                ElfImage.WriteU16(bytes, req.FlagsOffset, (ushort)(req.Flags | VerFlagWeak));
            ReplaceAtomically(path, bytes);
            return ElfPatchOutcome.Patched;
        }

        /// <summary>Writes <paramref name="bytes"/> to a temporary file beside <paramref name="path"/>, then renames it over the target.</summary>
        private static void ReplaceAtomically(string path, byte[] bytes)
        {
            var full = Path.GetFullPath(path);
            var dir = Path.GetDirectoryName(full) ?? ".";
            var tmp = Path.Combine(dir, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N") + ".tmp");
            var lastWrite = File.GetLastWriteTimeUtc(full);
            try
            {
                // File.Copy keeps the permission bits of the original; then overwrite the content.
                File.Copy(full, tmp, overwrite: false);
                using (var fs = new FileStream(tmp, FileMode.Truncate, FileAccess.Write, FileShare.None))
                {
                    fs.Write(bytes, 0, bytes.Length);
                    fs.Flush(flushToDisk: true);
                }
                // Keep the timestamp so an incremental build's copy step sees the file as unchanged.
                File.SetLastWriteTimeUtc(tmp, lastWrite);
                File.Replace(tmp, full, destinationBackupFileName: null);
            }
            finally
            {
                if (File.Exists(tmp))
                    File.Delete(tmp);
            }
        }
    }

    internal readonly struct ElfSymbol
    {
        public ElfSymbol(int index, string name) { Index = index; Name = name; }
        public int Index { get; }
        public string Name { get; }
    }

    /// <summary>A validated, in-memory 64-bit little-endian ELF image.</summary>
    internal sealed class ElfImage
    {
        private readonly string _path;
        private readonly Section[] _sections;

        private ElfImage(string path, byte[] bytes, Section[] sections) { _path = path; Bytes = bytes; _sections = sections; }

        public byte[] Bytes { get; }

        private sealed class Section
        {
            public int Index; public uint Type; public long Offset; public long Size; public uint Link; public uint Info; public long EntSize;
        }

        public static ElfImage Read(string path)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException("ELF file not found: " + path, path);
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
                throw new ElfFormatException(path + ": not an ELF file (bad magic or shorter than an ELF header).");
            if (bytes[4] != 2)
                throw new ElfFormatException(path + ": not a 64-bit ELF file (EI_CLASS=" + bytes[4] + ").");
            if (bytes[5] != 1)
                throw new ElfFormatException(path + ": not a little-endian ELF file (EI_DATA=" + bytes[5] + ").");

            long shoff = (long)ReadU64(bytes, 0x28);
            int shentsize = ReadU16(bytes, 0x3A);
            int shnum = ReadU16(bytes, 0x3C);
            if (shoff == 0 || shnum == 0)
                throw new ElfFormatException(path + ": the file has no section header table.");
            if (shentsize != 64)
                throw new ElfFormatException(path + ": unexpected section header size " + shentsize + ".");
            if (shoff < 0 || shoff + (long)shnum * shentsize > bytes.Length)
                throw new ElfFormatException(path + ": truncated: the section header table lies beyond the end of the file (" + bytes.Length + " bytes).");

            var sections = new Section[shnum];
            for (int i = 0; i < shnum; i++)
            {
                long o = shoff + (long)i * shentsize;
                var s = new Section
                {
                    Index = i,
                    Type = ReadU32(bytes, o + 4),
                    Offset = (long)ReadU64(bytes, o + 24),
                    Size = (long)ReadU64(bytes, o + 32),
                    Link = ReadU32(bytes, o + 40),
                    Info = ReadU32(bytes, o + 44),
                    EntSize = (long)ReadU64(bytes, o + 56),
                };
                // SHT_NOBITS (8) occupies no file space.
                if (s.Type != 8 && s.Type != 0 && (s.Offset < 0 || s.Size < 0 || s.Offset + s.Size > bytes.Length))
                    throw new ElfFormatException(path + ": truncated or corrupt: section " + i + " lies beyond the end of the file.");
                sections[i] = s;
            }
            var image = new ElfImage(path, bytes, sections);
            image.Validate();
            return image;
        }

        /// <summary>Walks every structure the patcher depends on so corruption surfaces before any write.</summary>
        private void Validate()
        {
            ReadVersionRequirements();
            var dynsym = Find(ElfVersionPatcherTypes.Dynsym);
            if (dynsym != null)
            {
                if (dynsym.EntSize != 24)
                    throw new ElfFormatException(_path + ": .dynsym has entry size " + dynsym.EntSize + ", expected 24.");
                var versym = Find(ElfVersionPatcherTypes.Versym);
                if (versym != null && versym.Size < dynsym.Size / 24 * 2)
                    throw new ElfFormatException(_path + ": .gnu.version is shorter than .dynsym.");
                foreach (var rel in RelocationSections(dynsym)) { _ = rel; }
            }
        }

        private Section? Find(uint type)
        {
            foreach (var s in _sections)
                if (s.Type == type) return s;
            return null;
        }

        private Section Linked(Section s, string what)
        {
            if (s.Link >= _sections.Length)
                throw new ElfFormatException(_path + ": " + what + " links to missing section " + s.Link + ".");
            return _sections[s.Link];
        }

        private string ReadString(Section strtab, long offset)
        {
            if (offset < 0 || offset >= strtab.Size)
                throw new ElfFormatException(_path + ": string offset " + offset + " outside the string table.");
            long start = strtab.Offset + offset;
            long end = start;
            long limit = strtab.Offset + strtab.Size;
            while (end < limit && Bytes[end] != 0) end++;
            if (end >= limit)
                throw new ElfFormatException(_path + ": unterminated string in the string table.");
            return Encoding.ASCII.GetString(Bytes, (int)start, (int)(end - start));
        }

        public IReadOnlyList<ElfVersionRequirement> ReadVersionRequirements()
        {
            var result = new List<ElfVersionRequirement>();
            var verneed = Find(ElfVersionPatcherTypes.Verneed);
            if (verneed == null) return result;
            var strtab = Linked(verneed, ".gnu.version_r");
            long end = verneed.Offset + verneed.Size;
            long vn = verneed.Offset;
            int guard = 0;
            while (true)
            {
                if (vn + 16 > end || ++guard > 10000)
                    throw new ElfFormatException(_path + ": corrupt .gnu.version_r (entry outside the section).");
                ushort cnt = ReadU16(Bytes, vn + 2);
                string file = ReadString(strtab, ReadU32(Bytes, vn + 4));
                uint aux = ReadU32(Bytes, vn + 8);
                uint next = ReadU32(Bytes, vn + 12);
                long a = vn + aux;
                for (int i = 0; i < cnt; i++)
                {
                    if (a + 16 > end || a < verneed.Offset)
                        throw new ElfFormatException(_path + ": corrupt .gnu.version_r (auxiliary entry outside the section).");
                    ushort flags = ReadU16(Bytes, a + 4);
                    ushort other = ReadU16(Bytes, a + 6);
                    string name = ReadString(strtab, ReadU32(Bytes, a + 8));
                    result.Add(new ElfVersionRequirement(file, name, other, flags, a + 4));
                    uint anext = ReadU32(Bytes, a + 12);
                    if (anext == 0) break;
                    a += anext;
                }
                if (next == 0) break;
                vn += next;
            }
            return result;
        }

        public IReadOnlyList<string> ReadVersionDefinitions()
        {
            var result = new List<string>();
            var verdef = Find(ElfVersionPatcherTypes.Verdef);
            if (verdef == null) return result;
            var strtab = Linked(verdef, ".gnu.version_d");
            long end = verdef.Offset + verdef.Size;
            long vd = verdef.Offset;
            int guard = 0;
            while (true)
            {
                if (vd + 20 > end || ++guard > 100000)
                    throw new ElfFormatException(_path + ": corrupt .gnu.version_d (entry outside the section).");
                ushort cnt = ReadU16(Bytes, vd + 6);
                uint aux = ReadU32(Bytes, vd + 12);
                uint next = ReadU32(Bytes, vd + 16);
                if (cnt > 0)
                {
                    long a = vd + aux;
                    if (a + 8 > end)
                        throw new ElfFormatException(_path + ": corrupt .gnu.version_d (auxiliary entry outside the section).");
                    result.Add(ReadString(strtab, ReadU32(Bytes, a)));
                }
                if (next == 0) break;
                vd += next;
            }
            return result;
        }

        public IReadOnlyList<ElfSymbol> SymbolsWithVersionIndex(ushort index)
        {
            var result = new List<ElfSymbol>();
            var dynsym = Find(ElfVersionPatcherTypes.Dynsym);
            var versym = Find(ElfVersionPatcherTypes.Versym);
            if (dynsym == null || versym == null) return result;
            var strtab = Linked(dynsym, ".dynsym");
            long count = dynsym.Size / 24;
            for (long i = 0; i < count; i++)
            {
                ushort v = (ushort)(ReadU16(Bytes, versym.Offset + i * 2) & 0x7fff);
                if (v == index)
                    result.Add(new ElfSymbol((int)i, ReadString(strtab, ReadU32(Bytes, dynsym.Offset + i * 24))));
            }
            return result;
        }

        public IReadOnlyList<string> RelocatedSymbolsWithVersionIndex(ushort index)
        {
            var symbols = SymbolsWithVersionIndex(index);
            if (symbols.Count == 0) return Array.Empty<string>();
            var byIndex = new Dictionary<long, string>();
            foreach (var s in symbols) byIndex[s.Index] = s.Name;
            var dynsym = Find(ElfVersionPatcherTypes.Dynsym)!;
            var used = new List<string>();
            foreach (var rel in RelocationSections(dynsym))
            {
                long entSize = rel.Type == ElfVersionPatcherTypes.Rela ? 24 : 16;
                long n = rel.Size / entSize;
                for (long i = 0; i < n; i++)
                {
                    ulong info = ReadU64(Bytes, rel.Offset + i * entSize + 8);
                    long sym = (long)(info >> 32);
                    if (byIndex.TryGetValue(sym, out var name) && !used.Contains(name))
                        used.Add(name);
                }
            }
            return used;
        }

        private IEnumerable<Section> RelocationSections(Section dynsym)
        {
            foreach (var s in _sections)
            {
                if ((s.Type == ElfVersionPatcherTypes.Rela || s.Type == ElfVersionPatcherTypes.Rel) && s.Link == (uint)dynsym.Index)
                {
                    long entSize = s.Type == ElfVersionPatcherTypes.Rela ? 24 : 16;
                    if (s.EntSize != 0 && s.EntSize != entSize)
                        throw new ElfFormatException(_path + ": relocation section " + s.Index + " has entry size " + s.EntSize + ", expected " + entSize + ".");
                    yield return s;
                }
            }
        }

        internal static ushort ReadU16(byte[] b, long o) => (ushort)(b[o] | (b[o + 1] << 8));
        internal static uint ReadU32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        internal static ulong ReadU64(byte[] b, long o) => ReadU32(b, o) | ((ulong)ReadU32(b, o + 4) << 32);
        internal static void WriteU16(byte[] b, long o, ushort v) { b[o] = (byte)(v & 0xff); b[o + 1] = (byte)(v >> 8); }
    }

    internal static class ElfVersionPatcherTypes
    {
        public const uint Rela = 4, Rel = 9, Dynsym = 11, Verdef = 0x6ffffffd, Verneed = 0x6ffffffe, Versym = 0x6fffffff;
    }

    /// <summary>Decides, for this machine, which libstdc++ versions a library needs that the system lacks.</summary>
    internal static class LibStdCxxCompat
    {
        /// <summary>The soname whose version requirements are considered.</summary>
        public const string LibStdCxx = "libstdc++.so.6";

        /// <summary>Usual locations of the system libstdc++ on 64-bit Linux distributions.</summary>
        public static readonly string[] CandidatePaths =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6",
            "/lib64/libstdc++.so.6",
            "/usr/lib/libstdc++.so.6",
        };

        /// <summary>The first existing candidate, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            foreach (var p in CandidatePaths)
                if (File.Exists(p)) return p;
            return null;
        }

        /// <summary>The libstdc++ versions <paramref name="library"/> requires that <paramref name="systemLibStdCxx"/> does not define.</summary>
        public static IReadOnlyList<string> MissingVersions(string library, string systemLibStdCxx)
        {
            var defined = new HashSet<string>(ElfVersionPatcher.ReadVersionDefinitions(systemLibStdCxx), StringComparer.Ordinal);
            return ElfVersionPatcher.ReadVersionRequirements(library)
                .Where(r => r.Library == LibStdCxx && !defined.Contains(r.Version))
                .Select(r => r.Version).Distinct().ToArray();
        }
    }

#if !EQUIRECON_NO_MSBUILD_TASK
    /// <summary>
    /// MSBuild task: weakens the libstdc++ version requirements of the output copies of
    /// libLibTorchSharp.so that this machine's libstdc++ lacks, when no relocation uses them.
    /// </summary>
    public sealed class EquiReconPatchLibTorchSharp : Microsoft.Build.Utilities.Task
    {
        /// <summary>The output copies of libLibTorchSharp.so.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <summary>Path of the system libstdc++ (optional; probed when empty).</summary>
        public string? SystemLibStdCxx { get; set; }

        /// <summary>The NuGet package root; files under it are never written.</summary>
        public string? NuGetPackageRoot { get; set; }

        /// <inheritdoc />
        public override bool Execute()
        {
            var system = string.IsNullOrEmpty(SystemLibStdCxx) ? LibStdCxxCompat.FindSystemLibStdCxx() : SystemLibStdCxx;
            if (system == null || !File.Exists(system))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                    "EquiRecon: no system libstdc++.so.6 found; libLibTorchSharp.so left unchanged. Set EquiReconSystemLibStdCxx to its path to check it.");
                return true;
            }
            string? cache = string.IsNullOrEmpty(NuGetPackageRoot) ? null : Path.GetFullPath(NuGetPackageRoot);
            foreach (var item in Files)
            {
                var file = Path.GetFullPath(item.ItemSpec);
                if (cache != null && file.StartsWith(cache, StringComparison.Ordinal))
                {
                    Log.LogError("EquiRecon: refusing to modify " + file + " inside the NuGet package folder " + cache + ".");
                    continue;
                }
                try
                {
                    var missing = LibStdCxxCompat.MissingVersions(file, system);
                    if (missing.Count == 0)
                    {
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "EquiRecon: " + file + " needs no patch on this system.");
                        continue;
                    }
                    var outcome = ElfVersionPatcher.WeakenVersionRequirements(file, missing);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                        "EquiRecon: " + file + ": " + string.Join(", ", missing) + " (missing from " + system + ") -> " + outcome + ".");
                }
                catch (ElfPatchRefusedException e)
                {
                    Log.LogError("EquiRecon: cannot make " + file + " load with " + system + ": " + e.Message);
                }
                catch (ElfFormatException e)
                {
                    Log.LogError("EquiRecon: " + e.Message);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
