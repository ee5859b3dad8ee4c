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

    // As of issue 15, whose refactorings (TransformKinds, AdditionalObjectives) keep the JSON form of the built-in methods.
    private const string Expected =
        "equirecon a9f473198eb8e67209b605093d7fc9cf1eb8e37c755bb3d6f2efb4c601a31d68\n" +
        "sie-all 62feaf1fc4a1065f6d2f4c5c305edd0c3ff49e1ca66a26c5cd2ccfc02c525924\n" +
        "sie-blur ddcea3d83d71dfbac91bb68b7da2c477e5a53b04b0ecebf427bd80d74df38dd0\n" +
        "sie-color 7ca740f5193610407a9e5721143de6d8b402e3dcbc10b533460a2c44e56dedfd\n" +
        "sie-crop 3fa50e626a38c461fd3d8efc5b9f856709083d2d49eac3094d56448176268600\n" +
        "sie-flip 2ece382ac95a006474e2b4a10dc9bbad13f824e8ca63918231b86abcc532ebf6\n" +
        "sie-rot c61715b83f0bae7704c81ceafb552739b04a92fc09eebd1bd52ee1704d07f4c7\n" +
        "sie-trans d9726573478e0d86b4f577af28bba704c56c66d499686b408562084916ae202e\n" +
        "supervised 066df565a8c28ff3bc988bb45067ce2ca9b5e7b07306b8edef99aa10807d0f9c\n" +
        "vicreg a5a612d0ade0cf1dc59055d7d7f59cb59f168450dd0fe0f040d9ecc98efe287b";
}
