using System.Runtime.InteropServices;

namespace EquiRecon.TorchSharp.Runtime;

/// <summary>
/// The one home of the oneDNN instruction-set cap. libtorch runs CPU convolutions through oneDNN, which picks
/// its kernels by the newest instruction set the CPU reports. On the 2-core AMD EPYC machines this project is
/// built on (AVX-512 with VNNI, BF16 and VP2INTERSECT), oneDNN's AVX-512 kernels return NaN in part of a
/// convolution's input gradient at random — a few calls in a hundred, different ones per run, with one thread or
/// two. Capped at AVX2 the NaN went, but a 3×3 convolution of 11 → 8 channels (the segmentation head's image skip) still
/// gave run-to-run different gradients and now and then a collapsed head; capped at SSE4.1 every run gave the same bits
/// (docs/benchmarks.md, "oneDNN and random NaN"), at about 15 % of the training speed. So, unless the process already sets <see cref="Variable"/> itself, EquiRecon caps oneDNN at
/// <see cref="DefaultCap"/> before libtorch creates its first oneDNN primitive (oneDNN reads the variable once, then).
/// Set <c>DNNL_MAX_CPU_ISA=ALL</c> (or another level) in the environment to choose otherwise.
/// </summary>
internal static partial class OneDnnCpuIsa
{
    /// <summary>oneDNN's documented environment variable for the highest instruction set it may use.</summary>
    internal const string Variable = "DNNL_MAX_CPU_ISA";

    /// <summary>The cap EquiRecon applies when the process sets none.</summary>
    internal const string DefaultCap = "SSE41";

    /// <summary>
    /// On x64, sets <see cref="Variable"/> to <see cref="DefaultCap"/> in the native environment unless it is set
    /// already. Returns the value in force afterwards (null on other architectures, where oneDNN's x64 levels do not apply).
    /// </summary>
    internal static string? Apply()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return null;
        var current = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(current))
            return current;
        // Environment.SetEnvironmentVariable changes only .NET's copy; oneDNN reads the C runtime's with getenv.
        var status = OperatingSystem.IsWindows() ? PutEnvWindows(Variable, DefaultCap) : SetEnvUnix(Variable, DefaultCap, 0);
        if (status != 0)
            return null;
        Environment.SetEnvironmentVariable(Variable, DefaultCap);
        return DefaultCap;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvUnix(string name, string value, int overwrite);

    [LibraryImport("ucrtbase", EntryPoint = "_putenv_s", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int PutEnvWindows(string name, string value);
}
