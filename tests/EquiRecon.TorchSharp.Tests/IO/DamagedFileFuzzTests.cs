using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.IO;

/// <summary>
/// Seeded mutants of a tiny model file and a tiny checkpoint (byte flips, truncations, manifest and state edits with
/// valid hashes, inflating entries, huge declared shapes, repeated entries): loading each either throws our
/// <see cref="ModelFileException"/> or, when the mutation missed every byte that matters (a zip timestamp), returns
/// exactly the original content; no other exception escapes, and no attempt allocates more than a bound.
/// </summary>
public sealed class DamagedFileFuzzTests
{
    private const long MaxAllocatedPerAttempt = 48L << 20;

    // Fields whose every value below is invalid (libraryVersion and provenance are free text, weightsSha256 is recomputed).
    private static readonly string[] ManifestFields = ["formatVersion", "method", "inputSize", "mean", "std", "encoder"];

    private static readonly JsonNode?[] BadValues =
    [
        null, -1, 0, 3, 1 << 30, 1e300, "NaN", "", "x", new JsonArray(), new JsonArray(0.5, -1e38, 0, 0.5),
        new JsonArray(0.5, 0.5), new JsonObject(), JsonNode.Parse("""{"stem":"Cifar","widths":[8,8,16,65536],"blocksPerStage":[1,1,1,1],"invariantChannels":8,"equivariantChannels":8}"""),
        JsonNode.Parse("""{"stem":"ImageNet","widths":[4096,4096,4096,4096],"blocksPerStage":[64,64,64,64],"invariantChannels":2048,"equivariantChannels":2048}"""),
    ];

    [Fact]
    public void Damaged_model_files_throw_only_ModelFileException_and_never_load()
    {
        using var dir = new TempDir();
        torch.manual_seed(4);
        using (var encoder = EncoderFactory.Create(Tiny.Encoder))
            ModelFile.Save(dir.File("m.equirecon"), encoder, "equirecon", 16, [0.5f, 0.5f, 0.5f], [0.25f, 0.25f, 0.25f]);
        var original = File.ReadAllBytes(dir.File("m.equirecon"));
        var originalEntries = ZipForge.Entries(original);
        var nonFinite = NonFiniteWeights();
        var random = new Random(14);
        var outcomes = new Dictionary<string, int>();

        for (var i = 0; i < 300; i++)
        {
            var (kind, mutant) = MutateModelFile(original, originalEntries, nonFinite, random);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var loaded = ModelFile.Load(mutant, "mutant");
                ZipForge.Entries(mutant).Select(e => (e.Name, Convert.ToHexString(e.Bytes)))
                    .Should().Equal(originalEntries.Select(e => (e.Name, Convert.ToHexString(e.Bytes))), $"mutant {i} ({kind}) loaded, so its content must be the original's");
                Count(outcomes, kind + ": loaded unchanged content");
            }
            catch (ModelFileException e)
            {
                e.Message.Should().StartWith("Mutant", $"mutant {i} ({kind}): the message names the source");
                Count(outcomes, kind + ": refused");
            }
            (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(MaxAllocatedPerAttempt, $"mutant {i} ({kind})");
        }
        outcomes.Where(kv => kv.Key.EndsWith("refused", StringComparison.Ordinal)).Sum(kv => kv.Value).Should().BeGreaterThan(250);
    }

    [Fact]
    public void Damaged_checkpoints_throw_only_ModelFileException_and_never_resume_changed_state()
    {
        using var dir = new TempDir();
        var data = Tiny.RandomImages(16);
        var checkpoint = dir.File("run.ckpt");
        var options = Tiny.Options(3) with { CheckpointPath = checkpoint };
        using (var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, options, data))
            trainer.TrainSteps(1);
        using (var trainer = Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, options, data, checkpoint))
        {
            trainer.TrainSteps(1);
            trainer.SaveCheckpointIfConfigured();
        }
        var original = File.ReadAllBytes(checkpoint);
        var originalEntries = ZipForge.Entries(original);
        var mutantPath = dir.File("mutant.ckpt");
        var random = new Random(41);
        var refused = 0;

        for (var i = 0; i < 150; i++)
        {
            var (kind, mutant) = MutateCheckpoint(originalEntries, original, random);
            File.WriteAllBytes(mutantPath, mutant);
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                using var resumed = Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, options with { CheckpointPath = mutantPath }, data, mutantPath);
                // sha256.json only vouches for the others: a change there that still parses to the same hashes is harmless.
                ZipForge.Entries(mutant).Where(e => e.Name != "sha256.json").Select(e => (e.Name, Convert.ToHexString(e.Bytes)))
                    .Should().Equal(originalEntries.Where(e => e.Name != "sha256.json").Select(e => (e.Name, Convert.ToHexString(e.Bytes))), $"mutant {i} ({kind}) resumed, so its content must be the original's");
            }
            catch (ModelFileException e)
            {
                e.Message.Should().Contain(mutantPath, $"mutant {i} ({kind}): the message names the file");
                refused++;
            }
            (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(MaxAllocatedPerAttempt, $"mutant {i} ({kind})");
        }
        refused.Should().BeGreaterThan(120);
    }

    private static (string Kind, byte[] Bytes) MutateModelFile(byte[] original, List<(string Name, byte[] Bytes)> entries, byte[][] nonFinite, Random random)
    {
        var (manifest, weights) = ZipForge.Parts(original);
        switch (random.Next(8))
        {
            case 0:
                return ("byte flips", Flip(original, random, 1 + random.Next(3)));
            case 1:
                return ("truncation", original[..random.Next(original.Length)]);
            case 2:
            {
                var field = ManifestFields[random.Next(ManifestFields.Length)];
                manifest[field] = BadValues[random.Next(BadValues.Length)]?.DeepClone();
                return ($"manifest {field} edited, hashes valid", ZipForge.ModelFile(manifest, weights));
            }
            case 3:
            {
                var target = entries[random.Next(entries.Count)].Name;
                return ($"{target} inflating", ZipForge.Zip(entries.Select(e => e.Name == target ? (e.Name, new byte[(2 + random.Next(14)) << 20]) : e), CompressionLevel.Optimal));
            }
            case 4:
                return ("huge declared shape, hashes valid", ZipForge.ModelFile(manifest, HugeShape(weights, random)));
            case 5:
            {
                var repeated = entries[random.Next(entries.Count)];
                return ($"{repeated.Name} twice", ZipForge.Zip([.. entries, repeated]));
            }
            case 6:
            {
                var target = random.Next(entries.Count);
                return ($"{entries[target].Name} flipped inside, CRC valid",
                    ZipForge.Zip(entries.Select((e, k) => k == target ? (e.Name, Flip(e.Bytes, random, 1)) : e)));
            }
            default:
            {
                // The weights edited (a NaN or an infinity, or bytes appended) and every hash recomputed: only the tensor checks can refuse them.
                var edited = random.Next(2) == 0 ? nonFinite[random.Next(nonFinite.Length)] : [.. weights, .. new byte[1 + random.Next(16)]];
                return ("weights non-finite or extended, hashes valid", ZipForge.ModelFile(manifest, edited));
            }
        }
    }

    /// <summary>Weights of the tiny encoder with one element of one tensor set to NaN or ±infinity.</summary>
    private static byte[][] NonFiniteWeights()
    {
        var result = new List<byte[]>();
        foreach (var (name, value) in new[] { ("conv1.weight", float.NaN), ("layer3.0.bn2.running_var", float.PositiveInfinity), ("layer4.0.conv2.weight", float.NegativeInfinity), ("bn1.bias", float.NaN) })
        {
            torch.manual_seed(4);
            using var encoder = EncoderFactory.Create(Tiny.Encoder);
            using (torch.no_grad())
                encoder.state_dict()[name].view(-1)[1].fill_(value);
            using var ms = new MemoryStream();
            encoder.save(ms);
            result.Add(ms.ToArray());
        }
        return [.. result];
    }

    private static (string Kind, byte[] Bytes) MutateCheckpoint(List<(string Name, byte[] Bytes)> entries, byte[] original, Random random)
    {
        switch (random.Next(7))
        {
            case 0:
                return ("byte flips", Flip(original, random, 1 + random.Next(3)));
            case 1:
                return ("truncation", original[..random.Next(original.Length)]);
            case 2:
            {
                var target = random.Next(entries.Count);
                return ($"{entries[target].Name} flipped inside, CRC valid",
                    ZipForge.Zip(entries.Select((e, k) => k == target ? (e.Name, Flip(e.Bytes, random, 1)) : e)));
            }
            case 3:
            {
                var target = entries[random.Next(entries.Count)].Name;
                return ($"{target} inflating", ZipForge.Zip(entries.Select(e => e.Name == target ? (e.Name, new byte[(2 + random.Next(14)) << 20]) : e), CompressionLevel.Optimal));
            }
            case 4:
            {
                var repeated = entries[random.Next(entries.Count)];
                return ($"{repeated.Name} twice", ZipForge.Zip([.. entries, repeated]));
            }
            case 5:
            {
                var dropped = random.Next(entries.Count);
                return ($"{entries[dropped].Name} missing", ZipForge.Zip(entries.Where((_, k) => k != dropped)));
            }
            default:
            {
                // state.json edited and its hash recomputed: the fingerprint and step checks must refuse it.
                var state = JsonNode.Parse(entries.Single(e => e.Name == "state.json").Bytes)!.AsObject();
                var edit = random.Next(4);
                if (edit == 0) state["step"] = random.Next(2) == 0 ? -7 : int.MaxValue;
                else if (edit == 1) state["fingerprint"]!["LearningRate"] = 0.5;
                else if (edit == 2) state["fingerprint"]!["DataSha256"] = new string('0', 64);
                else state["formatVersion"] = 3;
                var stateBytes = Encoding.UTF8.GetBytes(state.ToJsonString());
                var hashes = JsonNode.Parse(entries.Single(e => e.Name == "sha256.json").Bytes)!.AsObject();
                hashes["state.json"] = Convert.ToHexStringLower(SHA256.HashData(stateBytes));
                return ($"state.json edit {edit}, hashes valid", ZipForge.Zip(entries.Select(e =>
                    e.Name == "state.json" ? (e.Name, stateBytes) : e.Name == "sha256.json" ? (e.Name, Encoding.UTF8.GetBytes(hashes.ToJsonString())) : e)));
            }
        }
    }

    private static byte[] Flip(byte[] bytes, Random random, int flips)
    {
        var copy = (byte[])bytes.Clone();
        for (var k = 0; k < flips && copy.Length > 0; k++)
            copy[random.Next(copy.Length)] ^= (byte)(1 + random.Next(255));
        return copy;
    }

    /// <summary>A state dict (as long as the real one) whose first tensor declares an enormous shape.</summary>
    private static byte[] HugeShape(byte[] weights, Random random)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write7BitEncodedInt64(1 + random.Next(3));
            w.Write("conv1.weight");
            w.Write7BitEncodedInt64(TorchStateDict.Float32Code);
            w.Write7BitEncodedInt64(4);
            foreach (var d in new[] { 1L << (20 + random.Next(40)), 1L << 20, 3, 3 })
                w.Write7BitEncodedInt64(d);
        }
        var head = ms.ToArray();
        return head.Length >= weights.Length ? head : [.. head, .. new byte[weights.Length - head.Length]];
    }

    private static void Count(Dictionary<string, int> outcomes, string key) => outcomes[key] = outcomes.GetValueOrDefault(key) + 1;
}
