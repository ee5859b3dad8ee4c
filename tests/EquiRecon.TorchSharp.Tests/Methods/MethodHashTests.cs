using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.TorchSharp.Tests.Methods;

/// <summary>
/// The hash of each registered method's configuration is part of every checkpoint's fingerprint: a refactoring of
/// <see cref="MethodConfig"/> that changed it would make every existing checkpoint refuse to resume.
/// </summary>
public sealed class MethodHashTests
{
    [Fact]
    public void The_configuration_hash_of_every_registered_method_is_unchanged()
    {
        var hashes = MethodRegistry.All.ToDictionary(m => m.Name, m => CheckpointFingerprint.HashOf(m));
        var actual = string.Join("\n", hashes.Select(kv => $"{kv.Key} {kv.Value}"));
        if (actual != Expected)
            File.WriteAllText(Path.Combine(Path.GetTempPath(), "equirecon-method-hashes.txt"), actual);
        actual.Should().Be(Expected);
    }

    // As of issue 16: SieObjectiveConfig gained HypernetBias (on), so the sie-* hashes changed and their old checkpoints
    // are refused (a hypernetwork without a bias is another model); the other methods keep their hashes.
    private const string Expected =
        "equirecon a9f473198eb8e67209b605093d7fc9cf1eb8e37c755bb3d6f2efb4c601a31d68\n" +
        "sie-all 55c180fbdf3fc83a23867bb869189a248ee04c6eb710f295e8909d420cb6792f\n" +
        "sie-blur fcbbf56e27f1493cbb693298d12c9f174dc67c8d343d5ef273cba7c9795a6e82\n" +
        "sie-color 7a037b98af0c000554796d0e4b0ae232ef210d33a95688a95001ec0f3f745040\n" +
        "sie-crop 16e6ab7f3c407aa6435d8da3f10dc8815e2b5e81f0826570f297bc9da71ba0d9\n" +
        "sie-flip e4795d597d3cead3b2acbd72e21e269f0ef0932a48d6c7930f6e8273326c5f45\n" +
        "sie-rot f70d1efd0dc4789e0b9e8bcb4132936ae33a3e23eb663541ec56ab2f47f05dbc\n" +
        "sie-trans 2ca69685ea703d871d1e95b7f8cc5808b0f9b47c62620c9309bbfed78e13a462\n" +
        "supervised 066df565a8c28ff3bc988bb45067ce2ca9b5e7b07306b8edef99aa10807d0f9c\n" +
        "vicreg a5a612d0ade0cf1dc59055d7d7f59cb59f168450dd0fe0f040d9ecc98efe287b";
}
