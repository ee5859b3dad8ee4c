using System.Reflection;
using System.Text.RegularExpressions;
using EquiRecon.MLNet.Runtime;
using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML.OnnxRuntime;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>The ONNX Runtime version messages name (<see cref="OnnxSessions.OnnxRuntimeVersion"/>) is the one the build uses.</summary>
public sealed partial class OnnxRuntimeVersionTests
{
    [Fact]
    public void The_version_in_messages_is_the_central_package_version_and_the_loaded_one()
    {
        var props = File.ReadAllText(Path.Combine(LocalPackageFeed.RepositoryRoot(), "Directory.Packages.props"));
        var central = CentralVersion().Match(props);
        central.Success.Should().BeTrue("Directory.Packages.props defines <OnnxRuntimeVersion>");

        OnnxSessions.OnnxRuntimeVersion.Should().Be(central.Groups[1].Value);
        var loaded = typeof(InferenceSession).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        loaded.Should().StartWith(OnnxSessions.OnnxRuntimeVersion);
    }

    [GeneratedRegex("<OnnxRuntimeVersion>([^<]+)</OnnxRuntimeVersion>")]
    private static partial Regex CentralVersion();
}
