using System.Diagnostics;

namespace EquiRecon.Cli.Tests;

/// <summary>Runs <c>equirecon</c> as a child process (for tests that kill or signal it).</summary>
internal static class ChildCli
{
    /// <summary>Starts the CLI with <paramref name="args"/>; <paramref name="onOutput"/> sees each stdout line.</summary>
    public static Process Start(string[] args, Action<string>? onOutput = null)
    {
        var process = Process.Start(StartInfo(args))!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
                onOutput?.Invoke(line);
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Runs the CLI to its end, asserts exit code 0 and returns its stdout.</summary>
    public static string RunToEnd(string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, $"equirecon {string.Join(' ', args)} succeeds; stderr: {error.Result}; stdout: {output}");
        return output;
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost.Path())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["exec", typeof(EquiReconCli).Assembly.Location, .. args])
            start.ArgumentList.Add(arg);
        return start;
    }
}
