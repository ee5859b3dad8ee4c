using System.Reflection;

namespace EquiRecon.TorchSharp.Tests.Build;

/// <summary>Locates TorchSharp's untouched libLibTorchSharp.so and the patched output copy.</summary>
internal static class NativeLibraryFiles
{
    private static string Metadata(string key) =>
        typeof(NativeLibraryFiles).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == key).Value ?? throw new InvalidOperationException(key);

    /// <summary>The original in the NuGet cache: read it, copy it, never write it.</summary>
    public static string Original => Path.Combine(
        Metadata("NuGetPackageRoot"), "torchsharp", Metadata("TorchSharpVersion"), "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>The output copy the build step patched.</summary>
    public static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>A fresh copy of the original in a new temporary folder.</summary>
    public static string CopyOriginal(TempDir dir)
    {
        var target = Path.Combine(dir.Path, "libLibTorchSharp.so");
        File.Copy(Original, target);
        return target;
    }
}
