// The .NET runtime (CoreCLR) recognises this attribute by its full name; no framework assembly defines it.
// See Persistence/MicrosoftMLInternals.cs for why EquiRecon.MLNet needs it.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices;

/// <summary>
/// Tells the .NET runtime to skip visibility checks when this assembly uses non-public types and
/// members of the named assembly (honoured by CoreCLR; the compiler sees them through publicized
/// reference copies, see EquiRecon.MLNet.csproj).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute : Attribute
{
    /// <summary>Creates the attribute for one assembly.</summary>
    /// <param name="assemblyName">The simple name of the assembly whose internals this assembly uses.</param>
    public IgnoresAccessChecksToAttribute(string assemblyName) => AssemblyName = assemblyName;

    /// <summary>The simple name of the assembly whose internals this assembly uses.</summary>
    public string AssemblyName { get; }
}
