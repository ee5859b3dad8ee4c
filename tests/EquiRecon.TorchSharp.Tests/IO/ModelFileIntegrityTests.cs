using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.IO;

/// <summary>The checks of issue 14: integrity over manifest and weights, bounded reads, manifest bounds, tensor checks.</summary>
public sealed class ModelFileIntegrityTests
{
    /// <summary>A tiny encoder's model file (mean 0.5, std 0.25), optionally with its weights changed first.</summary>
    internal static byte[] TinyModelFile(Action<ResNetEncoder>? change = null)
    {
        using var dir = new TempDir();
        torch.manual_seed(4);
        using var encoder = EncoderFactory.Create(Tiny.Encoder);
        change?.Invoke(encoder);
        var path = dir.File("m.equirecon");
        ModelFile.Save(path, encoder, "equirecon", 16, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        return File.ReadAllBytes(path);
    }

    private static Action Loading(byte[] bytes) => () => ModelFile.Load(bytes, "the test model").Dispose();

    [Fact]
    public void A_saved_file_is_format_2_with_an_integrity_entry_and_a_changed_manifest_fails_it()
    {
        var bytes = TinyModelFile();
        var entries = ZipForge.Entries(bytes);
        entries.Select(e => e.Name).Should().Equal("manifest.json", "encoder.bin", "integrity.sha256");
        ModelFile.ReadManifest(bytes).FormatVersion.Should().Be(2);

        // A manifest edit inside every bound (provenance), with valid zip CRCs: only the integrity hash can catch it.
        var (manifest, weights) = ZipForge.Parts(bytes);
        manifest["provenance"] = new JsonObject { ["command"] = "edited" };
        var integrity = entries.Single(e => e.Name == "integrity.sha256").Bytes;
        var edited = ZipForge.Zip([("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())), ("encoder.bin", weights), ("integrity.sha256", integrity)]);

        Loading(edited).Should().Throw<ModelFileException>().WithMessage("The test model: the SHA-256 of manifest and weights*corrupt*");
    }

    [Fact]
    public void A_format_1_file_without_the_integrity_entry_still_loads_and_one_with_it_is_refused()
    {
        var (manifest, weights) = ZipForge.Parts(TinyModelFile());
        manifest["formatVersion"] = 1;
        var v1Manifest = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        var v1 = ZipForge.Zip([("manifest.json", v1Manifest), ("encoder.bin", weights)]);

        using (var loaded = ModelFile.Load(v1, "v1"))
            loaded.Manifest.FormatVersion.Should().Be(1);
        manifest["method"] = "random-init";
        ModelFile.ReadManifest(ZipForge.Zip([("manifest.json", Encoding.UTF8.GetBytes(manifest.ToJsonString())), ("encoder.bin", weights)]))
            .Method.Should().Be("random-init", "format-1 files may carry any short method label");
        Loading(ZipForge.ModelFileRaw(v1Manifest, weights)).Should().Throw<ModelFileException>().WithMessage("*format-1 file has no 'integrity.sha256'*");
        var v2WithoutIntegrity = ZipForge.Parts(TinyModelFile());
        Loading(ZipForge.Zip([("manifest.json", Encoding.UTF8.GetBytes(v2WithoutIntegrity.Manifest.ToJsonString())), ("encoder.bin", v2WithoutIntegrity.Weights)]))
            .Should().Throw<ModelFileException>().WithMessage("*needs the 'integrity.sha256' entry*");
    }

    public static TheoryData<string, string, string> ManifestEdits => new()
    {
        { "widths", """{"stem":"Cifar","widths":[8,8,16,1000000],"blocksPerStage":[1,1,1,1],"invariantChannels":8,"equivariantChannels":8}""", "*widths*must lie in*" },
        { "blocks", """{"stem":"Cifar","widths":[8,8,16,16],"blocksPerStage":[1,1,1,100000],"invariantChannels":8,"equivariantChannels":8}""", "*blocks per stage*" },
        { "stages", """{"stem":"Cifar","widths":[8,8,8,8,8,8,8,8,8,8],"blocksPerStage":[1,1,1,1,1,1,1,1,1,1],"invariantChannels":4,"equivariantChannels":4}""", "*1 to 8 stages*" },
        { "offset", """{"stem":"Cifar","widths":[8,8,16,16],"blocksPerStage":[1,1,1,1],"invariantChannels":8,"equivariantChannels":8,"inputOffsetSize":100000}""", "*input offset size*" },
    };

    [Theory]
    [MemberData(nameof(ManifestEdits))]
    public void An_encoder_out_of_bounds_is_refused_before_anything_is_allocated(string what, string encoderJson, string message)
    {
        _ = what;
        var (manifest, weights) = ZipForge.Parts(TinyModelFile());
        manifest["encoder"] = JsonNode.Parse(encoderJson);
        var before = GC.GetAllocatedBytesForCurrentThread();

        Loading(ZipForge.ModelFile(manifest, weights)).Should().Throw<ModelFileException>().WithMessage("The test model: " + message);
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(8L << 20);
    }

    // The normalisation statistics' cases are in ModelFileNormalizationTests.
    [Theory]
    [InlineData("inputSize", "-3", "*input size -3*")]
    [InlineData("inputSize", "100000", "*input size 100000*")]
    [InlineData("method", "\"mystery\"", "*method 'mystery' is unknown*")]
    [InlineData("formatVersion", "3", "*format version 3*")]
    [InlineData("inputSize", "1e30", "*manifest is not valid JSON*")]
    public void A_manifest_field_out_of_bounds_is_named(string field, string json, string message)
    {
        var (manifest, weights) = ZipForge.Parts(TinyModelFile());
        manifest[field] = JsonNode.Parse(json);
        Loading(ZipForge.ModelFile(manifest, weights)).Should().Throw<ModelFileException>().WithMessage(message);
    }

    [Fact]
    public void A_manifest_repeating_a_key_is_refused()
    {
        var (manifest, weights) = ZipForge.Parts(TinyModelFile());
        var text = manifest.ToJsonString();
        var repeated = "{\"inputSize\": 32, " + text[1..];
        Loading(ZipForge.ModelFileRaw(Encoding.UTF8.GetBytes(repeated), weights)).Should().Throw<ModelFileException>().WithMessage("*repeats a key*");
    }

    [Fact]
    public void Non_finite_weights_are_refused_naming_the_tensor()
    {
        var bytes = TinyModelFile(encoder =>
        {
            using var noGrad = torch.no_grad();
            encoder.state_dict()["layer2.0.conv1.weight"].index_put_(float.NaN, 0, 0, 0, 0);
        });
        Loading(bytes).Should().Throw<ModelFileException>().WithMessage("*'layer2.0.conv1.weight' holds a non-finite value*");
    }

    [Fact]
    public void A_state_dict_with_a_repeated_tensor_or_a_huge_shape_is_refused_without_allocating_it()
    {
        var (manifest, weights) = ZipForge.Parts(TinyModelFile());
        static byte[] StateDict(params (string Name, long[] Shape)[] tensors)
        {
            using var ms = new MemoryStream();
            using var w = new BinaryWriter(ms);
            w.Write7BitEncodedInt64(tensors.Length);
            foreach (var (name, shape) in tensors)
            {
                w.Write(name);
                w.Write7BitEncodedInt64(TorchStateDict.Float32Code);
                w.Write7BitEncodedInt64(shape.Length);
                foreach (var d in shape)
                    w.Write7BitEncodedInt64(d);
                w.Write(new byte[4 * shape.Aggregate(1L, (a, b) => a * b) is var n && n < 1024 ? 4 * (int)shape.Aggregate(1L, (a, b) => a * b) : 0]);
            }
            w.Flush();
            return ms.ToArray();
        }
        // Same length as the real weights, so that only the state dict's own checks can refuse them.
        static byte[] PadTo(byte[] b, int length) => b.Length >= length ? b : [.. b, .. new byte[length - b.Length]];

        var huge = PadTo(StateDict(("conv1.weight", [1L << 40, 1L << 20, 3, 3])), weights.Length);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Loading(ZipForge.ModelFile(manifest.DeepClone().AsObject(), huge)).Should().Throw<ModelFileException>().WithMessage("*conv1.weight*beyond the data*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(8L << 20);

        var twice = PadTo(StateDict(("bn1.bias", [8]), ("bn1.bias", [8])), weights.Length);
        Loading(ZipForge.ModelFile(manifest.DeepClone().AsObject(), twice)).Should().Throw<ModelFileException>().WithMessage("*'bn1.bias' appears twice*");

        Loading(ZipForge.ModelFile(manifest.DeepClone().AsObject(), [.. weights, 0])).Should().Throw<ModelFileException>().WithMessage("*weights do not match the manifest*");
    }

    [Fact]
    public void A_zip_holding_an_entry_twice_or_an_unknown_entry_is_refused()
    {
        var entries = ZipForge.Entries(TinyModelFile());
        Loading(ZipForge.Zip([.. entries, entries[0]])).Should().Throw<ModelFileException>().WithMessage("*zip entries*");
        Loading(ZipForge.Zip([entries[0], entries[0], entries[1]])).Should().Throw<ModelFileException>().WithMessage("*'manifest.json' twice*");
        Loading(ZipForge.Zip([entries[0], entries[1], ("extra.bin", [1, 2])])).Should().Throw<ModelFileException>().WithMessage("*unexpected zip entry 'extra.bin'*");
    }

    [Fact]
    public void An_inflating_entry_is_read_no_further_than_its_cap()
    {
        var entries = ZipForge.Entries(TinyModelFile());
        // 64 MiB of zeros compress to ~64 KiB; the manifest's cap is 1 MiB, so reading stops before inflating it.
        var bomb = ZipForge.Zip([("manifest.json", new byte[64 << 20]), entries[1], entries[2]], CompressionLevel.Optimal);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Loading(bomb).Should().Throw<ModelFileException>().WithMessage("*'manifest.json' declares 67108864 bytes*");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(8L << 20);
    }

    [Fact]
    public void A_flipped_byte_inside_a_stored_entry_fails_the_zip_CRC()
    {
        var bytes = TinyModelFile();
        // The weights are stored uncompressed: find a stretch of them in the zip and flip one byte there.
        var (_, weights) = ZipForge.Parts(bytes);
        var at = bytes.AsSpan().IndexOf(weights.AsSpan(weights.Length / 2, 64));
        at.Should().BePositive();
        bytes[at + 3] ^= 0x10;
        Loading(bytes).Should().Throw<ModelFileException>().WithMessage("*'encoder.bin' fails its CRC-32 check*");
    }

    [Fact]
    public void Every_file_failure_names_the_file()
    {
        using var dir = new TempDir();
        var path = dir.File("broken.equirecon");
        var bytes = TinyModelFile();
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 40).ToArray());
        FluentActions.Invoking(() => ModelFile.Load(path)).Should().Throw<ModelFileException>().WithMessage($"Model file {path}*");
    }
}
