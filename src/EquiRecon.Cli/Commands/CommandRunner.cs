using System.CommandLine;
using System.Runtime.InteropServices;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// Runs a command's body with the invocation's writers, Ctrl+C and SIGTERM turned into a cancellation token (the
/// first Ctrl+C or any SIGTERM asks the run to stop after the current step and write its checkpoint; a second Ctrl+C
/// ends the process), and failures the user can fix printed as one <c>error:</c> line with exit code 1, without a
/// stack trace. SIGTERM is what <c>kill</c>, <c>docker stop</c>, systemd and job schedulers send before they SIGKILL.
/// </summary>
internal static class CommandRunner
{
    /// <summary>Set to 1 to print stack traces of unexpected failures.</summary>
    public const string TraceVariable = "EQUIRECON_TRACE";

    /// <summary>Signals closer than this to the first Ctrl+C count as the same press.</summary>
    private const long DoublePressMilliseconds = 2000;

    public static int Run(ParseResult parse, Func<CliConsole, CancellationToken, int> body)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(body);
        var console = new CliConsole(parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
        using var cancellation = new CancellationTokenSource();
        var firstPress = 0L;
        void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            // One Ctrl+C can arrive twice (the terminal signals the whole process group, and `dotnet run` or
            // `timeout` forward it again): only a second press well after the first ends the process.
            var now = Environment.TickCount64;
            if (cancellation.IsCancellationRequested && now - Interlocked.Read(ref firstPress) > DoublePressMilliseconds)
                return;
            e.Cancel = true;
            if (cancellation.IsCancellationRequested)
                return;
            Interlocked.Exchange(ref firstPress, now);
            console.Error.WriteLine("Stopping after the current step and writing the checkpoint (Ctrl+C again to abort)…");
            cancellation.Cancel();
        }
        void OnTerminate(PosixSignalContext context)
        {
            // Keep the process alive until the body returns; the sender's SIGKILL remains the hard stop.
            context.Cancel = true;
            if (cancellation.IsCancellationRequested)
                return;
            console.Error.WriteLine("SIGTERM: stopping after the current step and writing the checkpoint…");
            cancellation.Cancel();
        }
        Console.CancelKeyPress += OnCancel;
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnTerminate);
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
            or IOException or UnauthorizedAccessException or NotSupportedException or DeviceUnavailableException)
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
