using System.Reflection;
using Microsoft.ML;

namespace EquiRecon.MLNet.Persistence;

/// <summary>
/// Facts about the Microsoft.ML internal API that EquiRecon.MLNet's persistence relies on.
/// </summary>
/// <remarks>
/// <para>
/// How EquiRecon's transformers round-trip through plain <c>mlContext.Model.Save</c> /
/// <c>mlContext.Model.Load</c> ("route 3"): ML.NET saves an <see cref="ITransformer"/> through its
/// <c>ICanSaveModel.Save(ModelSaveContext)</c> and loads it by the loader signature written in the
/// zip, looking the signature up among the <c>[assembly: LoadableClass(...)]</c> attributes of the
/// assembly whose name the zip also records (<c>VersionInfo.LoaderAssemblyName</c>), which ML.NET
/// loads and registers by itself. <c>ModelSaveContext</c>'s members, <c>ModelLoadContext</c>,
/// <c>LoadableClassAttribute</c>, <c>VersionInfo</c>, <c>IRowMapper</c> and the constructors of
/// <c>RowToRowTransformerBase</c> are internal to Microsoft.ML.Core / Microsoft.ML.Data, so this
/// assembly compiles against publicized copies of those two assemblies (build step in
/// EquiRecon.MLNet.csproj) and carries <c>[assembly: IgnoresAccessChecksTo(...)]</c>
/// (IgnoresAccessChecksToAttribute.cs) so that the .NET runtime allows the access.
/// </para>
/// <para>
/// That internal API is version-specific. Everything here was written and tested against
/// Microsoft.ML <see cref="TestedVersion"/>: the build refuses another version
/// (EquiReconTestedMicrosoftMLVersion in the project file) and a test pins the version that loads.
/// </para>
/// </remarks>
internal static class MicrosoftMLInternals
{
    /// <summary>The Microsoft.ML package version this persistence route was tested with.</summary>
    public const string TestedVersion = "5.0.1";

    /// <summary>
    /// The package version of the Microsoft.ML.Data assembly that this process loaded (its informational
    /// version without the source-revision suffix), e.g. <c>5.0.1</c>.
    /// </summary>
    public static string LoadedVersion
    {
        get
        {
            string? informational = typeof(MLContext).Assembly
                .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
            if (string.IsNullOrEmpty(informational))
                return "unknown";
            int plus = informational.IndexOf('+', StringComparison.Ordinal);
            return plus < 0 ? informational : informational[..plus];
        }
    }
}
