namespace EquiRecon.TestSupport;

/// <summary>The <c>dotnet</c> host for tests that start child processes.</summary>
public static class DotnetHost
{
    /// <summary>The dotnet host running this test (DOTNET_HOST_PATH under the CLI), else <c>dotnet</c> on the PATH.</summary>
    public static string Path()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
            return host;
        if (Environment.ProcessPath is { } self && System.IO.Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return self;
        return "dotnet";
    }
}
