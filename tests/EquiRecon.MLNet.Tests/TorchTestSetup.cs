using System.Runtime.CompilerServices;
using EquiRecon.TorchSharp.Runtime;

namespace EquiRecon.MLNet.Tests;

/// <summary>Loads libtorch through EquiRecon (which caps oneDNN's instruction set, see OneDnnCpuIsa) before any test touches a tensor.</summary>
internal static class TorchTestSetup
{
#pragma warning disable CA2255 // A test assembly, not a library: every test must run under the same oneDNN cap.
    [ModuleInitializer]
    internal static void Initialize() => TorchNative.EnsureLoaded();
#pragma warning restore CA2255
}
