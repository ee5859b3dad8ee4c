using System.Reflection;
using TorchSharp;

namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// Reads the <see cref="BuiltInEncoder"/>s: <see cref="BuiltInEncoder.SmallCifar"/> from this assembly
/// (<see cref="DefaultEncoder"/>), <see cref="BuiltInEncoder.NaturalImage"/> from the assembly of the
/// <c>EquiRecon.Models.NaturalImage</c> package, found at run time (this library does not reference it).
/// </summary>
public static class BuiltInEncoders
{
    /// <summary>The NuGet package (and assembly) holding <see cref="BuiltInEncoder.NaturalImage"/>: <c>EquiRecon.Models.NaturalImage</c>.</summary>
    public const string NaturalImagePackageId = "EquiRecon.Models.NaturalImage";

    // The package's entry point: a public static class with `byte[] ReadBytes()` (SHA-256 checked inside).
    private const string NaturalImageTypeName = NaturalImagePackageId + ".NaturalImageEncoder";
    private const string ReadBytesMethodName = "ReadBytes";

    /// <summary>Whether <paramref name="encoder"/> can be read: always for <see cref="BuiltInEncoder.SmallCifar"/>; for
    /// <see cref="BuiltInEncoder.NaturalImage"/>, whether the application references the <c>EquiRecon.Models.NaturalImage</c> package.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="encoder"/> is not a defined value.</exception>
    public static bool IsAvailable(BuiltInEncoder encoder) => Check(encoder) switch
    {
        BuiltInEncoder.NaturalImage => FindReadBytes(NaturalImagePackageId, NaturalImageTypeName, out _) is not null,
        _ => true,
    };

    /// <summary>A copy of the model file of <paramref name="encoder"/>, byte for byte (its SHA-256 checked).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="encoder"/> is not a defined value.</exception>
    /// <exception cref="ModelFileException">The encoder's package is not referenced (the message says how to add it), or its
    /// embedded model file is missing or damaged.</exception>
    public static byte[] ReadBytes(BuiltInEncoder encoder) => Check(encoder) switch
    {
        BuiltInEncoder.NaturalImage => ReadBytesFrom(NaturalImagePackageId, NaturalImageTypeName),
        _ => DefaultEncoder.ReadBytes(),
    };

    /// <summary>The validated manifest of <paramref name="encoder"/> (architecture, input size, normalisation, provenance).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="encoder"/> is not a defined value.</exception>
    /// <exception cref="ModelFileException">As for <see cref="ReadBytes"/>.</exception>
    public static ModelManifest ReadManifest(BuiltInEncoder encoder) => Check(encoder) switch
    {
        BuiltInEncoder.NaturalImage => ModelFile.ReadManifest(ReadBytes(encoder), Describe(encoder)),
        _ => DefaultEncoder.ReadManifest(),
    };

    /// <summary>Loads <paramref name="encoder"/> for batched inference (eval mode) on <paramref name="device"/> (default CPU).</summary>
    /// <returns>The encoder; the caller disposes it.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="encoder"/> is not a defined value.</exception>
    /// <exception cref="ModelFileException">As for <see cref="ReadBytes"/>.</exception>
    public static PretrainedEncoder Load(BuiltInEncoder encoder, torch.Device? device = null) => Check(encoder) switch
    {
        BuiltInEncoder.NaturalImage => ModelFile.Load(ReadBytes(encoder), Describe(encoder), device),
        _ => DefaultEncoder.Load(device),
    };

    /// <summary>How messages name <paramref name="encoder"/> (e.g. "the default encoder …"); used by the ML.NET steps' messages too.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="encoder"/> is not a defined value.</exception>
    public static string Describe(BuiltInEncoder encoder) => Check(encoder) switch
    {
        BuiltInEncoder.NaturalImage => $"the built-in encoder {nameof(BuiltInEncoder.NaturalImage)} (package {NaturalImagePackageId})",
        _ => DefaultEncoder.SourceName,
    };

    /// <summary>Reads the model file bytes through <c>typeName.ReadBytes()</c> of the assembly <paramref name="assemblyName"/> (tests pass other names).</summary>
    /// <exception cref="ModelFileException">The assembly or its entry point is not found, or reading fails.</exception>
    internal static byte[] ReadBytesFrom(string assemblyName, string typeName)
    {
        var readBytes = FindReadBytes(assemblyName, typeName, out string? missing)
            ?? throw new ModelFileException(
                $"The built-in encoder {nameof(BuiltInEncoder.NaturalImage)} is in the NuGet package {assemblyName}, which this application does not reference ({missing}). " +
                $"Add it: dotnet add package {assemblyName} (the same version as EquiRecon.TorchSharp, {ModelFile.LibraryVersion}), or pass a model file path instead.");
        try
        {
            return (byte[])readBytes.Invoke(null, null)!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            if (e.InnerException is ModelFileException inner)
                throw new ModelFileException(inner.Message, inner);
            throw new ModelFileException($"Reading the model file from {assemblyName} failed: {e.InnerException.Message}", e.InnerException);
        }
    }

    private static MethodInfo? FindReadBytes(string assemblyName, string typeName, out string? missing)
    {
        Assembly assembly;
        try
        {
            // A package reference puts the assembly in the application's dependencies; a copy beside the application
            // (not in its .deps.json, e.g. next to the equirecon tool) is tried next.
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            string beside = Path.Combine(AppContext.BaseDirectory, assemblyName + ".dll");
            if (!File.Exists(beside))
            {
                missing = $"assembly '{assemblyName}' not found: {e.Message}";
                return null;
            }
            assembly = Assembly.LoadFrom(beside);
        }
        var method = assembly.GetType(typeName, throwOnError: false)?.GetMethod(ReadBytesMethodName, BindingFlags.Public | BindingFlags.Static, Type.EmptyTypes);
        missing = method is null || method.ReturnType != typeof(byte[])
            ? $"assembly '{assembly.FullName}' has no public static byte[] {typeName}.{ReadBytesMethodName}()"
            : null;
        return missing is null ? method : null;
    }

    private static BuiltInEncoder Check(BuiltInEncoder encoder)
        => Enum.IsDefined(encoder)
            ? encoder
            : throw new ArgumentOutOfRangeException(nameof(encoder), encoder, $"Unknown built-in encoder {(int)encoder}; the built-in encoders are {string.Join(", ", Enum.GetNames<BuiltInEncoder>())}.");
}
