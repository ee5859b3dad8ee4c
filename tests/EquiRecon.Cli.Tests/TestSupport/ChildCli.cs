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

    /// <summary>
    /// Runs the CLI to its end, asserts exit code 0 and returns its stdout. <paramref name="environment"/> sets (or, with a
    /// null value, removes) variables of the child's environment.
    /// </summary>
    public static string RunToEnd(string[] args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = StartInfo(args);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(name);
            else
                start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
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
