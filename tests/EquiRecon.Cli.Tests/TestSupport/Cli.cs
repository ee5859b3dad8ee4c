using System.CommandLine;

namespace EquiRecon.Cli.Tests;

/// <summary>Runs the real command tree in-process with captured output.</summary>
internal static class Cli
{
    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = EquiReconCli.CreateRootCommand().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }

    public static CliConsole Console(StringWriter output) => new(output, output, interactive: false);
}
