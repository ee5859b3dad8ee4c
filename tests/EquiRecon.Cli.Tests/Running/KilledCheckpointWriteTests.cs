using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Tests.Running;

/// <summary>
/// Issue 14: a pretraining process killed (SIGKILL) while it writes a checkpoint leaves the previous checkpoint intact; the
/// next run removes the temporary file and resumes to the same weights as an uninterrupted run.
/// </summary>
public sealed class KilledCheckpointWriteTests
{
    private const string TemporaryPattern = ".checkpoint.ckpt.*.tmp";

    [Fact]
    public void A_run_killed_during_a_checkpoint_write_resumes_bit_identically_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 8);
        // small-cifar-resnet: checkpoints of ~15 MB written (and flushed to disk) after every step, so that most of the
        // child's time is spent inside a write.
        string[] Args(string outDir, params string[] more) =>
        [
            "pretrain", "--method", "vicreg", "--data", data, "--out", outDir, "--encoder", "small-cifar-resnet", "--image-size", "16",
            "--batch-size", "4", "--steps", "16", "--threads", "1", "--seed", "0", "--checkpoint-every", "1", "--report-every", "100", .. more,
        ];

        // Every run is a child process, so that all three load libtorch the same way.
        var straight = dir.Sub("straight");
        ChildCli.RunToEnd(Args(straight));

        var killed = dir.Sub("killed");
        using (var child = ChildCli.Start(Args(killed)))
        {
            var sawTemporary = false;
            while (!child.HasExited)
            {
                // A later write than the first, so that a complete checkpoint exists to resume from.
                if (File.Exists(Path.Combine(killed, "checkpoint.ckpt")) && Directory.EnumerateFiles(killed, TemporaryPattern).Any())
                {
                    child.Kill(entireProcessTree: true); // SIGKILL on Linux: no finally block, no flush
                    sawTemporary = true;
                    break;
                }
                Thread.Sleep(1);
            }
            child.WaitForExit();
            sawTemporary.Should().BeTrue("the child is killed while a checkpoint's temporary file exists");
        }
        File.Exists(Path.Combine(killed, "checkpoint.ckpt")).Should().BeTrue("a step's checkpoint was complete before the kill");
        File.Exists(Path.Combine(killed, "model.equirecon")).Should().BeFalse("the killed run did not finish");

        var resumed = ChildCli.RunToEnd(Args(killed, "--resume"));

        resumed.Should().Contain("resuming from step");
        Directory.EnumerateFiles(killed, ".*.tmp").Should().BeEmpty("the next run removes the killed write's temporary file");
        ModelFile.ReadWeights(Path.Combine(killed, "model.equirecon")).Weights
            .Should().Equal(ModelFile.ReadWeights(Path.Combine(straight, "model.equirecon")).Weights, "resuming continues bit-identically");
    }
}
