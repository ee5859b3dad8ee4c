using System.Runtime.InteropServices;
using EquiRecon.Build;
using TorchSharp;

namespace EquiRecon.TorchSharp.Runtime;

/// <summary>
/// Loads TorchSharp's native library from the application's own (patched) output copy before
/// TorchSharp's loader runs, so that its fallback, which copies unpatched natives out of the
/// NuGet cache, is never reached. Every EquiRecon entry point that touches tensors calls
/// <see cref="EnsureLoaded()"/>; applications may call it first thing for a clear error message.
/// It first caps oneDNN's instruction set unless the process chose one (<c>DNNL_MAX_CPU_ISA</c>; AVX2 by default, SSE4.1 in a
/// deterministic process; docs/benchmarks.md "oneDNN's instruction set"): call it before any other TorchSharp call for the
/// cap to apply.
/// On Linux it also stops glibc from mapping and unmapping every large tensor (<c>EQUIRECON_MALLOC_TUNING=0</c> to keep
/// glibc's defaults; docs/benchmarks.md "glibc malloc"), which made CPU training about 3× faster on the development VMs.
/// </summary>
public static class TorchNative
{
    private const string LibraryFile = "libLibTorchSharp.so";
    private static readonly Lazy<string?> Loaded = new(LoadOnce, LazyThreadSafetyMode.ExecutionAndPublication);
    private static volatile bool s_deterministicRequested;

    /// <summary>
    /// Ensures the TorchSharp native backend is loaded. On Linux, loads the output copy of
    /// <c>libLibTorchSharp.so</c> by full path after checking that every libstdc++ version it
    /// requires is present on this system or marked weak by the EquiRecon build step.
    /// </summary>
    /// <returns>The path of the native library that was loaded, or null where TorchSharp loads it itself.</returns>
    /// <exception cref="InvalidOperationException">The library cannot load on this system; the message says why and what to do.</exception>
    public static string? EnsureLoaded() => Loaded.Value;

    /// <summary>
    /// <see cref="EnsureLoaded()"/>, and with <paramref name="deterministic"/> a process whose CPU runs are bit-identical
    /// for the same seed, threads and machine: oneDNN capped at SSE4.1 (about 2.5× slower ResNet-18 training here than
    /// the default AVX2). The choice is made once per process, before libtorch's first convolution; the environment
    /// variable <c>EQUIRECON_DETERMINISTIC=1</c> makes the same choice without code. CUDA runs are not covered.
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="deterministic"/> is true but libtorch was loaded
    /// without the deterministic cap (an earlier call, or <c>DNNL_MAX_CPU_ISA</c> set to another level).</exception>
    public static string? EnsureLoaded(bool deterministic)
    {
        if (deterministic)
            s_deterministicRequested = true;
        var path = Loaded.Value;
        if (deterministic && !OneDnnCpuIsa.IsDeterministic)
        {
            throw new InvalidOperationException(
                $"A deterministic run needs oneDNN capped at {OneDnnCpuIsa.DeterministicCap}, but this process already runs it at {OneDnnCpuIsa.InForce}: " +
                $"oneDNN fixes its instruction set once per process. Set {OneDnnCpuIsa.DeterministicVariable}=1 (or {OneDnnCpuIsa.Variable}={OneDnnCpuIsa.DeterministicCap}) " +
                "in the environment before starting the process, or call TorchNative.EnsureLoaded(deterministic: true) before any other TorchSharp or EquiRecon call.");
        }
        return path;
    }

    /// <summary>
    /// The oneDNN instruction-set level in force (<c>DNNL_MAX_CPU_ISA</c>, e.g. <c>AVX2</c>), or null before loading and
    /// off x64. Progress reports and provenance record it.
    /// </summary>
    public static string? CpuIsa => OneDnnCpuIsa.InForce;

    /// <summary>Whether this process makes bit-identical CPU runs (<see cref="EnsureLoaded(bool)"/>; true off x64).</summary>
    public static bool IsDeterministic => OneDnnCpuIsa.IsDeterministic;

    /// <summary>The output copies probed on Linux, in order.</summary>
    internal static IEnumerable<string> CandidatePaths()
    {
        var dirs = new List<string> { AppContext.BaseDirectory };
        var torchDir = Path.GetDirectoryName(typeof(torch).Assembly.Location);
        if (!string.IsNullOrEmpty(torchDir) && !dirs.Contains(torchDir))
            dirs.Add(torchDir);
        foreach (var dir in dirs)
        {
            yield return Path.Combine(dir, "runtimes", "linux-x64", "native", LibraryFile);
            yield return Path.Combine(dir, LibraryFile);
        }
    }

    private static string? LoadOnce()
    {
        OneDnnCpuIsa.Apply(s_deterministicRequested || OneDnnCpuIsa.DeterminismRequestedByEnvironment);
        GlibcMallocTuning.Apply();
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        var path = CandidatePaths().FirstOrDefault(File.Exists);
        if (path is null)
        {
            // No output copy (for example a machine's own libtorch on LD_LIBRARY_PATH): let TorchSharp load by name.
            torch.InitializeDeviceType(DeviceType.CPU);
            return null;
        }
        CheckVersions(path);
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException($"TorchSharp's native library {path} failed to load: {e.Message}", e);
        }
        torch.InitializeDeviceType(DeviceType.CPU);
        return path;
    }

    /// <summary>Throws when <paramref name="path"/> requires a libstdc++ version this system lacks and the requirement is not weak.</summary>
    internal static void CheckVersions(string path)
    {
        var system = LibStdCxxCompat.FindSystemLibStdCxx();
        if (system is null)
            return;
        var missing = LibStdCxxCompat.MissingVersions(path, system);
        var strict = ElfVersionPatcher.ReadVersionRequirements(path)
            .Where(r => missing.Contains(r.Version) && !r.IsWeak)
            .Select(r => r.Version)
            .ToArray();
        if (strict.Length > 0)
        {
            throw new InvalidOperationException(
                $"{path} requires {string.Join(", ", strict)}, which {system} does not provide, and the requirement is not marked weak. " +
                "The EquiRecon.TorchSharp build step patches the output copy after build and publish on Linux: rebuild the application " +
                "on this machine (and do not set EquiReconPatchLibTorchSharp=false), or install a libstdc++ from GCC 13 or newer.");
        }
    }
}
