using System.Globalization;
using Spectre.Console;

namespace EquiRecon.Cli;

/// <summary>
/// Where a command writes: the invocation's output and error writers, and a Spectre.Console view of the
/// output. <see cref="Interactive"/> is true only when the output is the real, non-redirected console;
/// then progress is a live bar, otherwise plain periodic lines (logs, CI, tests).
/// </summary>
internal sealed class CliConsole
{
    private const int RedirectedWidth = 160;

    public CliConsole(TextWriter output, TextWriter error, bool? interactive = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Out = output;
        Error = error;
        Interactive = interactive ?? (ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected && Environment.UserInteractive);
        Ansi = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        if (!Interactive)
            Ansi.Profile.Width = RedirectedWidth;
    }

    /// <summary>Normal output.</summary>
    public TextWriter Out { get; }

    /// <summary>Error output (messages of failures).</summary>
    public TextWriter Error { get; }

    /// <summary>True for a live terminal: progress bars and colours.</summary>
    public bool Interactive { get; }

    /// <summary>Spectre.Console over <see cref="Out"/> (tables, progress).</summary>
    public IAnsiConsole Ansi { get; }

    /// <summary>Writes an already formatted line to <see cref="Out"/>.</summary>
    public void Text(string text) => Out.WriteLine(text);

    /// <summary>Writes one interpolated line, formatting numbers with the invariant culture.</summary>
    public void Line(FormattableString text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Out.WriteLine(text.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Writes <c>error: message</c> to <see cref="Error"/>.</summary>
    public void Fail(string message) => Error.WriteLine("error: " + message);
}
