using System.Runtime.InteropServices;

namespace EquiRecon.TorchSharp.Runtime;

/// <summary>
/// The one home of EquiRecon's glibc <c>malloc</c> settings. libtorch allocates every CPU tensor with <c>malloc</c>;
/// glibc serves blocks above its mmap threshold (at most 32 MiB) with a fresh <c>mmap</c> and gives them back with
/// <c>munmap</c> when freed, and trims the heap top back to the system above 128 KiB. A training step of batch 256
/// allocates and frees hundreds of such activations, so every step page-faults and zero-fills them again: on the
/// 2-core development VMs 20–30 % of the time was system time and <c>small-cifar-resnet</c> trained at 20–22 image
/// pairs/s. With mmap off (<c>M_MMAP_MAX = 0</c>) and trimming off (<c>M_TRIM_THRESHOLD</c> at its maximum) freed
/// blocks are reused: 60–71 pairs/s, the same results bit for bit (docs/benchmarks.md, "glibc malloc"). The price is
/// that the process keeps its peak heap (2.5 GiB instead of 1.7 GiB at that batch) until it exits.
/// Applied by <see cref="TorchNative.EnsureLoaded()"/> on Linux with glibc unless the process chose its own malloc
/// settings (any of <see cref="ProcessSettings"/> in the environment) or sets <see cref="OptOutVariable"/> to <c>0</c>.
/// </summary>
internal static partial class GlibcMallocTuning
{
    /// <summary>Set to <c>0</c> to keep glibc's default malloc behaviour.</summary>
    internal const string OptOutVariable = "EQUIRECON_MALLOC_TUNING";

    /// <summary>glibc's own variables; when the process sets any of them, EquiRecon leaves malloc alone.</summary>
    internal static readonly string[] ProcessSettings = ["GLIBC_TUNABLES", "MALLOC_MMAP_MAX_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "LD_PRELOAD"];

    // mallopt parameters, glibc's malloc.h.
    private const int MTrimThreshold = -1;
    private const int MMmapMax = -4;

    /// <summary>Whether the settings were applied in this process.</summary>
    internal static bool Applied { get; private set; }

    /// <summary>Applies the settings where they apply; returns whether they were applied.</summary>
    internal static bool Apply()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        if (Environment.GetEnvironmentVariable(OptOutVariable) == "0")
            return false;
        if (ProcessSettings.Any(v => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(v))))
            return false;
        try
        {
            // mallopt returns 1 on success. musl and other C libraries lack it or ignore it.
            Applied = MallOpt(MMmapMax, 0) == 1 && MallOpt(MTrimThreshold, int.MaxValue) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            Applied = false;
        }
        return Applied;
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int parameter, int value);
}
