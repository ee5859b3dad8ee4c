using System.CommandLine;
using EquiRecon.Cli.Commands;

namespace EquiRecon.Cli;

/// <summary>Builds the <c>equirecon</c> command tree.</summary>
public static class EquiReconCli
{
    /// <summary>The root command with every subcommand attached.</summary>
    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand(
            "equirecon: pretrain, evaluate and reproduce equivariant self-supervised image encoders (arXiv 2412.03314) with TorchSharp.");
        root.Subcommands.Add(InfoCommand.Create());
        root.Subcommands.Add(PretrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
        return root;
    }
}
