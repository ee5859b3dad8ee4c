namespace EquiRecon.Cli;

/// <summary>
/// A problem the user can fix (a bad option value, a missing folder, an output that would be
/// overwritten). The commands print its message without a stack trace and exit with <see cref="ExitCode"/>.
/// </summary>
internal sealed class CliException : Exception
{
    public CliException() { }

    public CliException(string message) : base(message) { }

    public CliException(string message, Exception innerException) : base(message, innerException) { }

    public CliException(string message, int exitCode) : base(message) => ExitCode = exitCode;

    /// <summary>The process exit code (default 1).</summary>
    public int ExitCode { get; } = 1;
}
