using EquiRecon.MLNet.Persistence;

namespace EquiRecon.MLNet.Tests.Persistence;

/// <summary>
/// EquiRecon.MLNet persists its transformers through Microsoft.ML's internal API (route 3), which is
/// version-specific. If this fails after a Microsoft.ML upgrade: run the Persistence and Transforms tests on
/// the new version, then update EquiReconTestedMicrosoftMLVersion (EquiRecon.MLNet.csproj) and
/// MicrosoftMLInternals.TestedVersion together.
/// </summary>
public sealed class MicrosoftMLVersionTests
{
    [Fact]
    public void The_loaded_Microsoft_ML_is_the_version_the_persistence_route_was_tested_with()
    {
        MicrosoftMLInternals.TestedVersion.Should().Be("5.0.1");
        MicrosoftMLInternals.LoadedVersion.Should().Be(MicrosoftMLInternals.TestedVersion,
            "EquiRecon.MLNet uses Microsoft.ML internals tested only with that version; re-test before changing it");
    }
}
