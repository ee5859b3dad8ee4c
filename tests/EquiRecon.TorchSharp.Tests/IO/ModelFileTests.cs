using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.IO;

public sealed class ModelFileTests
{
    private static string SaveTiny(TempDir dir, string name = "model.equirecon")
    {
        torch.manual_seed(4);
        using var encoder = EncoderFactory.Create(Tiny.Encoder);
        var path = dir.File(name);
        ModelFile.Save(path, encoder, "equirecon", 16, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f], new Dictionary<string, string> { ["command"] = "test" });
        return path;
    }

    private static void RewriteEntry(string path, string entryName, Func<byte[], byte[]> change)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Update);
        var entry = zip.GetEntry(entryName)!;
        byte[] bytes;
        using (var s = entry.Open())
        using (var ms = new MemoryStream())
        {
            s.CopyTo(ms);
            bytes = ms.ToArray();
        }
        entry.Delete();
        using var w = zip.CreateEntry(entryName).Open();
        w.Write(change(bytes));
    }

    private static void RewriteManifest(string path, Action<JsonObject> change) =>
        RewriteEntry(path, "manifest.json", bytes =>
        {
            var json = JsonNode.Parse(bytes)!.AsObject();
            change(json);
            return Encoding.UTF8.GetBytes(json.ToJsonString());
        });

    [Fact]
    public void Round_trip_gives_identical_outputs_and_the_manifest_describes_the_model()
    {
        using var dir = new TempDir();
        torch.manual_seed(4);
        using var encoder = EncoderFactory.Create(Tiny.Encoder);
        encoder.eval();
        var path = dir.File("m.equirecon");
        var saved = ModelFile.Save(path, encoder, "equirecon", 16, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        var images = torch.randint(0, 256, [3, 3, 16, 16]).to(torch.ScalarType.Byte);
        var expected = encoder.call((images.to(torch.float32) / 255 - 0.5) / 0.25).Pooled;

        using var loaded = ModelFile.Load(path);
        var actual = loaded.Encode(images).Pooled;

        actual.allclose(expected, rtol: 1e-5, atol: 1e-6).Should().BeTrue();
        loaded.Manifest.Method.Should().Be("equirecon");
        loaded.Manifest.WeightsSha256.Should().Be(saved.WeightsSha256).And.HaveLength(64);
        loaded.Manifest.Encoder.Widths.Should().Equal(8, 8, 16, 16);
        loaded.Split.Should().Be(new RepresentationSplit(8, 8));
        ModelFile.ReadManifest(path).InputSize.Should().Be(16);
    }

    [Fact]
    public void Loading_from_bytes_equals_loading_from_the_file_and_truncated_bytes_are_named()
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        var bytes = File.ReadAllBytes(path);
        var images = torch.randint(0, 256, [2, 3, 16, 16]).to(torch.ScalarType.Byte);
        using var fromFile = ModelFile.Load(path);
        using var fromBytes = ModelFile.Load(bytes, "embedded");
        fromBytes.Encode(images).Pooled.allclose(fromFile.Encode(images).Pooled, rtol: 0, atol: 0).Should().BeTrue();
        ModelFile.ReadManifest(bytes).WeightsSha256.Should().Be(fromFile.Manifest.WeightsSha256);
        FluentActions.Invoking(() => ModelFile.Load(bytes.AsSpan(0, bytes.Length / 2).ToArray(), "embedded"))
            .Should().Throw<ModelFileException>().WithMessage("*embedded*");
    }

    [Fact]
    public void Missing_file_is_a_clear_error()
    {
        FluentActions.Invoking(() => ModelFile.Load("/no/such/model.equirecon")).Should().Throw<ModelFileException>().WithMessage("*not found*/no/such/model.equirecon*");
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0.0)]
    public void Truncated_file_is_a_clear_error_and_is_not_written(double fraction)
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
        var truncated = File.ReadAllBytes(path);

        FluentActions.Invoking(() => ModelFile.Load(path)).Should().Throw<ModelFileException>().WithMessage($"*{path}*");
        File.ReadAllBytes(path).Should().Equal(truncated);
    }

    [Fact]
    public void Corrupt_weights_fail_the_checksum()
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        RewriteEntry(path, "encoder.bin", b => { b[b.Length / 2] ^= 0xFF; return b; });
        FluentActions.Invoking(() => ModelFile.Load(path)).Should().Throw<ModelFileException>().WithMessage("*SHA-256*corrupt*");
    }

    [Fact]
    public void ReadWeights_returns_the_manifest_and_the_checked_state_dict_bytes_without_tensors()
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        var (manifest, weights) = ModelFile.ReadWeights(path);
        manifest.Should().BeEquivalentTo(ModelFile.ReadManifest(path));
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(weights)).Should().Be(manifest.WeightsSha256);
        var fromBytes = ModelFile.ReadWeights(File.ReadAllBytes(path), "embedded");
        fromBytes.Weights.Should().Equal(weights);

        RewriteEntry(path, "encoder.bin", b => { b[^1] ^= 0xFF; return b; });
        var act = () => ModelFile.ReadWeights(path);
        act.Should().Throw<ModelFileException>().WithMessage("*SHA-256*");
    }

    [Fact]
    public void Unknown_format_version_is_refused_with_both_versions()
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        RewriteManifest(path, m => m["formatVersion"] = 99);
        FluentActions.Invoking(() => ModelFile.Load(path)).Should().Throw<ModelFileException>().WithMessage("*format version 99*reads versions 1 to 2*");
    }

    [Fact]
    public void Weights_that_do_not_match_the_manifest_architecture_are_refused()
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        RewriteManifest(path, m => m["encoder"]!["widths"] = new JsonArray(8, 8, 16, 32));
        RewriteManifest(path, m =>
        {
            m["encoder"]!["invariantChannels"] = 16;
            m["encoder"]!["equivariantChannels"] = 16;
        });
        FluentActions.Invoking(() => ModelFile.Load(path)).Should().Throw<ModelFileException>().WithMessage("*do not match*");
    }

    [Fact]
    public void Invalid_manifest_fields_are_named()
    {
        using var dir = new TempDir();
        var path = SaveTiny(dir);
        RewriteManifest(path, m => m["encoder"]!["stem"] = "Hexagonal");
        FluentActions.Invoking(() => ModelFile.ReadManifest(path)).Should().Throw<ModelFileException>().WithMessage("*Hexagonal*");

        var other = SaveTiny(dir, "b.equirecon");
        RewriteManifest(other, m => m.Remove("method"));
        FluentActions.Invoking(() => ModelFile.ReadManifest(other)).Should().Throw<ModelFileException>().WithMessage("*manifest*");
    }

    [Fact]
    public void Encode_rejects_images_of_the_wrong_size()
    {
        using var dir = new TempDir();
        using var loaded = ModelFile.Load(SaveTiny(dir));
        FluentActions.Invoking(() => loaded.Encode(torch.zeros(1, 3, 32, 32))).Should().Throw<ArgumentException>().WithMessage("*(B, 3, 16, 16)*");
    }
}
