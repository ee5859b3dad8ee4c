using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>
/// The packages as a user gets them: <c>dotnet pack</c> of library projects (the binaries this test run built) into a
/// folder feed under a unique version, and console apps outside the repository (none of its build settings apply) that
/// reference them. Disposing removes that version from the global packages folder.
/// </summary>
internal sealed class LocalPackageFeed : IDisposable
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly string[] _packageIds;

    /// <summary>Packs <paramref name="projects"/> (paths relative to the repository root, e.g.
    /// <c>src/EquiRecon.MLNet/EquiRecon.MLNet.csproj</c>; package id = file name) into <c>feed/</c> under <paramref name="temp"/>.</summary>
    public LocalPackageFeed(TempDir temp, params string[] projects)
    {
        Root = Directory.CreateDirectory(temp.File("feed")).FullName;
        // A version no other build uses, so the global packages folder cannot hand back a stale copy.
        Version = "0.0.1-installtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        _packageIds = projects.Select(Path.GetFileNameWithoutExtension).ToArray()!;
        string repo = RepositoryRoot();
        foreach (string project in projects)
            Dotnet(repo, "pack", Path.Combine(repo, project), "-c", Configuration, "--no-build", "-o", Root, "-p:Version=" + Version, "-nologo");
    }

    /// <summary>The feed folder.</summary>
    public string Root { get; }

    /// <summary>The version every package of this feed has.</summary>
    public string Version { get; }

    /// <summary>
    /// The runtime identifier the console apps are built for (<c>&lt;RuntimeIdentifier&gt;</c>, framework-dependent), so that
    /// only that platform's native assets are copied; null (default) builds portable apps with every platform's.
    /// The build output is then <c>bin/Release/net10.0/&lt;rid&gt;</c>.
    /// </summary>
    public string? RuntimeIdentifier { get; init; }

    /// <summary>The XML documentation file of package <paramref name="id"/> (<c>lib/net10.0/&lt;id&gt;.xml</c>).</summary>
    public System.Xml.Linq.XDocument Documentation(string id)
    {
        using var zip = ZipFile.OpenRead(Package(id));
        var entry = zip.GetEntry($"lib/net10.0/{id}.xml");
        entry.Should().NotBeNull($"package {id} carries its XML documentation");
        using var stream = entry!.Open();
        return System.Xml.Linq.XDocument.Load(stream);
    }

    /// <summary>The path of package <paramref name="id"/>'s <c>.nupkg</c>.</summary>
    public string Package(string id) => Path.Combine(Root, $"{id}.{Version}.nupkg");

    /// <summary>The entries of package <paramref name="id"/> (asserting that it and its symbol package exist).</summary>
    public string[] Entries(string id)
    {
        string nupkg = Package(id);
        File.Exists(nupkg).Should().BeTrue();
        File.Exists(Path.ChangeExtension(nupkg, ".snupkg")).Should().BeTrue("symbols are packed");
        using var zip = ZipFile.OpenRead(nupkg);
        return zip.Entries.Select(e => e.FullName).ToArray();
    }

    /// <summary>
    /// Writes a console project into <paramref name="folder"/> that restores only from this feed (and the machine's
    /// configured sources for everything else), references <paramref name="packageIds"/> of this feed plus TorchSharp-cpu,
    /// and has <paramref name="program"/> as Program.cs; runs it with <paramref name="arguments"/> and returns its standard output.
    /// </summary>
    public string RunConsoleApp(string folder, IEnumerable<string> packageIds, string program, params string[] arguments)
        => RunConsoleApp(folder, packageIds, new Dictionary<string, string> { ["TorchSharp-cpu"] = "0.107.0" }, program, arguments);

    /// <summary>
    /// As <see cref="RunConsoleApp(string, IEnumerable{string}, string, string[])"/>, with <paramref name="otherPackages"/>
    /// (id → version, from the machine's sources) instead of TorchSharp-cpu: e.g. ONNX Runtime and no TorchSharp backend.
    /// The build output is <c>bin/Release/net10.0</c> under <paramref name="folder"/>.
    /// </summary>
    public string RunConsoleApp(string folder, IEnumerable<string> packageIds, IReadOnlyDictionary<string, string> otherPackages, string program, params string[] arguments)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="equirecon-test-feed" value="{Root}" />
              </packageSources>
            </configuration>
            """);
        string references = string.Join(Environment.NewLine, packageIds.Select(id => $"""    <PackageReference Include="{id}" Version="{Version}" />""")
            .Concat(otherPackages.Select(p => $"""    <PackageReference Include="{p.Key}" Version="{p.Value}" />""")));
        File.WriteAllText(Path.Combine(folder, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
            {(RuntimeIdentifier is null ? "" : $"    <RuntimeIdentifier>{RuntimeIdentifier}</RuntimeIdentifier>\n    <SelfContained>false</SelfContained>")}
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), program);
        return Dotnet(folder, ["run", "-c", "Release", "--", .. arguments]);
    }

    /// <summary>The float vector a console app printed on the line starting with <paramref name="prefix"/> (space-separated, invariant culture).</summary>
    public static float[] ParseVector(string stdout, string prefix)
    {
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string? line = lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        line.Should().NotBeNull($"the app prints '{prefix}'; it printed:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        return line![prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Leaves nothing of the unique version in the global packages folder.</summary>
    public void Dispose()
    {
        foreach (string id in _packageIds)
        {
            string cached = Path.Combine(GlobalPackagesFolder(), id.ToLowerInvariant(), Version);
            if (Directory.Exists(cached))
                Directory.Delete(cached, recursive: true);
        }
    }

    /// <summary>Runs the dotnet CLI in <paramref name="workingDirectory"/>; asserts success and returns its standard output.</summary>
    private static string Dotnet(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(DotnetHost.Path())
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        // The test host's MSBuild settings must not leak into the child builds.
        foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToArray())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit((int)TimeSpan.FromMinutes(10).TotalMilliseconds).Should().BeTrue($"dotnet {string.Join(' ', arguments)} finishes");
        process.ExitCode.Should().Be(0, $"dotnet {string.Join(' ', arguments)} succeeds; output:{Environment.NewLine}{stdout}{Environment.NewLine}{stderrTask.Result}");
        return stdout;
    }

    /// <summary>The folder holding <c>EquiRecon.MLNet.sln</c>, above the test binaries.</summary>
    internal static string RepositoryRoot() => EquiRecon.TestSupport.RepositoryRoot.Find();

    private static string GlobalPackagesFolder()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
