using System.Diagnostics;

namespace EquiRecon.Cli.Tests.Commands;

/// <summary>
/// SIGTERM (kill, docker stop, a scheduler's time limit) stops a run like Ctrl+C: after the current step, with the
/// checkpoint written and exit code 130, so <c>--resume</c> continues it.
/// </summary>
public sealed class TerminateSignalTests
{
    [Fact]
    public void Sigterm_stops_pretraining_after_the_current_step_and_writes_the_checkpoint()
    {
        if (OperatingSystem.IsWindows())
            return; // no kill(1) to send the signal with
        using var dir = new TempDir();
        var data = TinyData.WriteImageFolder(dir.Sub("data"), perClass: 4);
        var outDir = dir.Sub("out");
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        string[] args =
        [
            "pretrain", "--method", "vicreg", "--data", data, "--out", outDir, "--encoder", "small-cifar-resnet", "--image-size", "16",
            "--batch-size", "4", "--steps", "100000", "--threads", "1", "--seed", "0", "--report-every", "1",
        ];

        using var child = ChildCli.Start(args, output.Enqueue);
        var metrics = Path.Combine(outDir, "metrics.jsonl");
        var clock = Stopwatch.StartNew();
        while (!child.HasExited && !(File.Exists(metrics) && new FileInfo(metrics).Length > 0) && clock.Elapsed < TimeSpan.FromMinutes(2))
            Thread.Sleep(20);
        child.HasExited.Should().BeFalse("the run is training when the signal arrives");
        using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            kill.WaitForExit();

        child.WaitForExit(120_000).Should().BeTrue("the run stops after its current step");
        child.WaitForExit(); // drains the output
        child.ExitCode.Should().Be(130, string.Join('\n', output));
        File.Exists(Path.Combine(outDir, "checkpoint.ckpt")).Should().BeTrue("the stop writes the checkpoint");
        File.Exists(Path.Combine(outDir, "model.equirecon")).Should().BeFalse("the run did not finish");
        string.Join('\n', output).Should().Contain("Run again with --resume");
    }
}
