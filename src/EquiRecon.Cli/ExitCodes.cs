namespace EquiRecon.Cli;

/// <summary>Exit codes of the <c>equirecon</c> commands.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>Bad options or input, or a run that failed with a message.</summary>
    public const int Error = 1;

    /// <summary>Stopped by Ctrl+C or SIGTERM after writing the checkpoint (128 + SIGINT, as shells report Ctrl+C).</summary>
    public const int Cancelled = 130;
}
