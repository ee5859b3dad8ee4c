using System.Text;
using System.Text.Json.Nodes;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.TorchSharp.Tests.Training;

/// <summary>Issue 14: checkpoints carry a SHA-256 of every entry, checked before anything is restored, and a fingerprint of every setting.</summary>
public sealed class CheckpointIntegrityTests
{
    private static string WriteCheckpoint(TempDir dir)
    {
        var checkpoint = dir.File("run.ckpt");
        using var trainer = new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(3) with { CheckpointPath = checkpoint }, Tiny.RandomImages(16));
        trainer.TrainSteps(1);
        trainer.SaveCheckpointIfConfigured();
        return checkpoint;
    }

    private static Func<Pretrainer> Resuming(string checkpoint, PretrainingOptions? options = null, EquiRecon.TorchSharp.Data.ImageDataset? data = null) =>
        () => Pretrainer.Resume(Tiny.Method("vicreg"), Tiny.Encoder, (options ?? Tiny.Options(3)) with { CheckpointPath = checkpoint }, data ?? Tiny.RandomImages(16), checkpoint);

    [Theory]
    [InlineData("state.json")]
    [InlineData("model.bin")]
    [InlineData("optimizer.bin")]
    [InlineData("rng.bin")]
    [InlineData("sha256.json")]
    public void One_flipped_byte_in_any_entry_is_refused_before_anything_is_restored(string entry)
    {
        using var dir = new TempDir();
        var checkpoint = WriteCheckpoint(dir);
        var entries = ZipForge.Entries(File.ReadAllBytes(checkpoint));
        entries.Select(e => e.Name).Should().Equal("state.json", "model.bin", "optimizer.bin", "rng.bin", "sha256.json");
        Resuming(checkpoint)().Dispose();

        // The zip stays valid (CRCs recomputed); only the checkpoint's own hashes can catch the flip. A hex digit of the
        // hashes is flipped to another hex digit, so that sha256.json stays valid JSON.
        var damaged = entries.Select(e =>
        {
            if (e.Name != entry)
                return e;
            var bytes = (byte[])e.Bytes.Clone();
            var at = entry == "sha256.json" ? Array.IndexOf(bytes, (byte)'"', Encoding.ASCII.GetString(bytes).IndexOf(": \"", StringComparison.Ordinal) + 2) + 1 : bytes.Length / 2;
            bytes[at] = entry == "sha256.json" ? (byte)(bytes[at] == (byte)'0' ? '1' : '0') : (byte)(bytes[at] ^ 0x01);
            return (e.Name, bytes);
        });
        File.WriteAllBytes(checkpoint, ZipForge.Zip(damaged));

        Resuming(checkpoint).Should().Throw<ModelFileException>().WithMessage($"Checkpoint {checkpoint}: the SHA-256 of '*' is * but the checkpoint records *corrupt*");
    }

    [Fact]
    public void Resuming_with_another_learning_rate_is_refused_naming_it_and_both_values()
    {
        using var dir = new TempDir();
        var checkpoint = WriteCheckpoint(dir);

        Resuming(checkpoint, Tiny.Options(3) with { LearningRate = 0.002 }).Should().Throw<ModelFileException>()
            .WithMessage("*learning rate: 0.001 in the checkpoint, 0.002 in this run*");
        Resuming(checkpoint, Tiny.Options(3) with { WarmupFraction = 0.5 }).Should().Throw<ModelFileException>()
            .WithMessage("*warm-up fraction: 0.25 in the checkpoint, 0.5 in this run*");
    }

    [Fact]
    public void Resuming_on_other_images_of_the_same_count_or_other_heads_is_refused()
    {
        using var dir = new TempDir();
        var checkpoint = WriteCheckpoint(dir);

        Resuming(checkpoint, data: Tiny.RandomImages(16, seed: 6)).Should().Throw<ModelFileException>().WithMessage("*data (SHA-256 of images, labels and class names)*");
        var otherHeads = () => Pretrainer.Resume(Tiny.Method("vicreg") with { VicReg = Tiny.Method("vicreg").VicReg! with { Weight = 2 } }, Tiny.Encoder,
            Tiny.Options(3) with { CheckpointPath = checkpoint }, Tiny.RandomImages(16), checkpoint);
        otherHeads.Should().Throw<ModelFileException>().WithMessage("*method settings*");
    }

    [Fact]
    public void A_format_1_checkpoint_is_refused_with_a_message_saying_to_start_fresh()
    {
        using var dir = new TempDir();
        var checkpoint = WriteCheckpoint(dir);
        var entries = ZipForge.Entries(File.ReadAllBytes(checkpoint)).Where(e => e.Name != "sha256.json").Select(e =>
        {
            if (e.Name != "state.json")
                return e;
            var state = JsonNode.Parse(e.Bytes)!.AsObject();
            state["formatVersion"] = 1;
            return (e.Name, Encoding.UTF8.GetBytes(state.ToJsonString()));
        });
        File.WriteAllBytes(checkpoint, ZipForge.Zip(entries));

        Resuming(checkpoint).Should().Throw<ModelFileException>().WithMessage("*format version 1*older EquiRecon*Delete it*start fresh*");
    }

    [Fact]
    public void Stale_temporary_files_of_a_killed_write_are_removed_and_others_kept()
    {
        using var dir = new TempDir();
        var checkpoint = dir.File("run.ckpt");
        var stale = dir.File($".run.ckpt.{Guid.NewGuid():N}.tmp");
        var notOurs = new[] { dir.File(".run.ckpt.notaguid.tmp"), dir.File($".other.ckpt.{Guid.NewGuid():N}.tmp"), dir.File("notes.tmp") };
        foreach (var file in notOurs.Append(stale))
            File.WriteAllText(file, "x");

        using (new Pretrainer(Tiny.Method("vicreg"), Tiny.Encoder, Tiny.Options(1) with { CheckpointPath = checkpoint }, Tiny.RandomImages(16)))
        {
        }

        File.Exists(stale).Should().BeFalse();
        notOurs.Should().OnlyContain(f => File.Exists(f));
    }
}
