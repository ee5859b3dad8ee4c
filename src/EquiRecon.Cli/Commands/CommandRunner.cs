using System.CommandLine;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// Runs a command's body with the invocation's writers, Ctrl+C turned into a cancellation token (the first press
/// asks the run to stop after the current step; a second one ends the process), and failures the user can fix
/// printed as one <c>error:</c> line with exit code 1, without a stack trace.
/// </summary>
internal static class CommandRunner
{
    /// <summary>Set to 1 to print stack traces of unexpected failures.</summary>
    public const string TraceVariable = "EQUIRECON_TRACE";

    public static int Run(ParseResult parse, Func<CliConsole, CancellationToken, int> body)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        var console = new CliConsole(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        using var cancellation = new CancellationTokenSource();
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            if (cancellation.IsCancellationRequested)
                return; // second Ctrl+C: let the process end
            e.Cancel = true;
            console.Error.WriteLine("Stopping after the current step and writing the checkpoint (Ctrl+C again to abort)…");
            cancellation.Cancel();
        }
        Console.CancelKeyPress += OnCancel;
        try
        {
            return body(console, cancellation.Token);
        }
        catch (CliException e)
        {
            console.Fail(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is ArgumentException or ModelFileException or TrainingDivergedException or InvalidDataException
            or IOException or UnauthorizedAccessException or NotSupportedException)
        {
            console.Fail(e.Message);
            if (Environment.GetEnvironmentVariable(TraceVariable) == "1")
                console.Error.WriteLine(e);
            return ExitCodes.Error;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }
}
