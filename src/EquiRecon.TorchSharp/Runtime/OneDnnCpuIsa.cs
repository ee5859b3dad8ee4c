using System.Runtime.InteropServices;

namespace EquiRecon.TorchSharp.Runtime;

/// <summary>
/// The one home of the oneDNN instruction-set choice. libtorch runs CPU convolutions through oneDNN, which picks its
/// kernels by the newest instruction set the CPU reports (and reads <see cref="Variable"/> once, when it creates its
/// first primitive). On the 2-core AMD EPYC machines this project is built on (AVX-512 with VNNI, BF16 and
/// VP2INTERSECT), oneDNN's AVX-512 kernels return NaN in part of a convolution's input gradient at random, while its
/// AVX2 kernels did not in any measured run; and AVX2 trains the ResNet-18 layouts 2.3–2.8× faster than SSE4.1
/// (docs/benchmarks.md, "oneDNN's instruction set"). So, unless the process sets <see cref="Variable"/> itself,
/// EquiRecon caps oneDNN at <see cref="DefaultCap"/>; every training loop checks its steps are finite anyway
/// (<see cref="Training.FiniteStepGuard"/>). A deterministic process (<see cref="DeterministicVariable"/> set to 1, or
/// <see cref="TorchNative.EnsureLoaded(bool)"/> with <c>true</c> before any other TorchSharp call) is capped at
/// <see cref="DeterministicCap"/>, whose kernels gave the same bits in every run we measured.
/// </summary>
internal static partial class OneDnnCpuIsa
{
    /// <summary>oneDNN's documented environment variable for the highest instruction set it may use.</summary>
    internal const string Variable = "DNNL_MAX_CPU_ISA";

    /// <summary>Set to <c>1</c> (or <c>true</c>) to cap oneDNN at <see cref="DeterministicCap"/> for bit-identical runs.</summary>
    internal const string DeterministicVariable = "EQUIRECON_DETERMINISTIC";

    /// <summary>The cap EquiRecon applies when the process sets none: the fastest level without random NaN on the measured machines.</summary>
    internal const string DefaultCap = "AVX2";

    /// <summary>The cap of a deterministic process: every measured run gave the same bits (about 2.5× slower on ResNet-18).</summary>
    internal const string DeterministicCap = "SSE41";

    /// <summary>The level in force after <see cref="Apply"/> (null before, and on other architectures).</summary>
    internal static string? InForce { get; private set; }

    /// <summary>Whether this process runs oneDNN at <see cref="DeterministicCap"/> (always true off x64, where these levels do not apply).</summary>
    internal static bool IsDeterministic =>
        RuntimeInformation.ProcessArchitecture != Architecture.X64 || string.Equals(InForce, DeterministicCap, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Whether the level in force has oneDNN's bfloat16 kernels: false at the levels below AVX-512 BF16 (where bfloat16
    /// runs on reference kernels, about 200× slower than float32), true otherwise and off x64.
    /// </summary>
    internal static bool HasBFloat16Kernels =>
        InForce is not { } level || !LevelsWithoutBFloat16.Contains(level, StringComparer.OrdinalIgnoreCase);

    /// <summary>oneDNN's <see cref="Variable"/> levels below AVX-512 BF16.</summary>
    private static readonly string[] LevelsWithoutBFloat16 = ["SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX512_CORE", "AVX512_CORE_VNNI"];

    /// <summary>Whether the environment asks for a deterministic process (<see cref="DeterministicVariable"/> is 1 or true).</summary>
    internal static bool DeterminismRequestedByEnvironment =>
        Environment.GetEnvironmentVariable(DeterministicVariable) is { } value
        && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// On x64, sets <see cref="Variable"/> in the native environment, unless the process set it already: to
    /// <see cref="DeterministicCap"/> when <paramref name="deterministic"/>, else to <see cref="DefaultCap"/>. Returns
    /// the value in force afterwards (null on other architectures, where oneDNN's x64 levels do not apply).
    /// </summary>
    internal static string? Apply(bool deterministic)
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.X64)
            return null;
        var current = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(current))
            return InForce = current;
        var cap = deterministic ? DeterministicCap : DefaultCap;
        // Environment.SetEnvironmentVariable changes only .NET's copy; oneDNN reads the C runtime's with getenv.
        var status = OperatingSystem.IsWindows() ? PutEnvWindows(Variable, cap) : SetEnvUnix(Variable, cap, 0);
        if (status != 0)
            return null;
        Environment.SetEnvironmentVariable(Variable, cap);
        return InForce = cap;
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvUnix(string name, string value, int overwrite);

    [LibraryImport("ucrtbase", EntryPoint = "_putenv_s", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int PutEnvWindows(string name, string value);
}
