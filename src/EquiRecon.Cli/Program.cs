using EquiRecon.Cli;

return EquiReconCli.CreateRootCommand().Parse(args).Invoke();
