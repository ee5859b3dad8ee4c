using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.MLNet.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: <c>dotnet pack</c> the two library projects (the binaries this test run built)
/// into a local folder feed under a unique version, install them into a new console project outside the repository
/// (none of its build settings apply), build it and featurize an image there with the default encoder.
/// </summary>
public sealed class PackageInstallTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public void Packed_packages_install_into_a_new_console_project_and_featurize_an_image()
    {
        string repo = RepositoryRoot();
        using var temp = new TempDir();
        string feed = Directory.CreateDirectory(temp.File("feed")).FullName;
        // A version no other build uses, so the global packages folder cannot hand back a stale copy.
        string version = "0.0.1-installtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);
        try
        {
            foreach (string project in new[] { "src/EquiRecon.TorchSharp/EquiRecon.TorchSharp.csproj", "src/EquiRecon.MLNet/EquiRecon.MLNet.csproj" })
                Dotnet(repo, "pack", Path.Combine(repo, project), "-c", Configuration, "--no-build", "-o", feed, "-p:Version=" + version, "-nologo");

            foreach (string id in new[] { "EquiRecon.TorchSharp", "EquiRecon.MLNet" })
            {
                string nupkg = Path.Combine(feed, $"{id}.{version}.nupkg");
                File.Exists(nupkg).Should().BeTrue();
                File.Exists(Path.ChangeExtension(nupkg, ".snupkg")).Should().BeTrue("symbols are packed");
                using var zip = ZipFile.OpenRead(nupkg);
                var entries = zip.Entries.Select(e => e.FullName).ToArray();
                entries.Should().Contain(["icon.png", "README.md", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"]);
            }

            string app = Directory.CreateDirectory(temp.File("app")).FullName;
            WriteConsoleProject(app, feed, version);
            string image = TestImages.WriteSyntheticPngs(temp.Path, 1)[0];

            string stdout = Dotnet(app, "run", "-c", "Release", "--", image);

            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            float[] invariant = ParseVector(lines, "invariant:");
            float[] equivariant = ParseVector(lines, "equivariant:");
            File.WriteAllBytes(temp.File("default.equirecon"), DefaultEncoder.ReadBytes());
            float[] expected = TinyModel.RawForward(temp.File("default.equirecon"), [image])[0];
            TinyModel.ShouldMatch([invariant], [expected[..128]], 1e-4f, "the installed package featurizes like this build");
            TinyModel.ShouldMatch([equivariant], [expected[128..]], 1e-4f, "the installed package featurizes like this build");
        }
        finally
        {
            // Leave nothing of the unique version in the global packages folder.
            foreach (string id in new[] { "equirecon.torchsharp", "equirecon.mlnet" })
            {
                string cached = Path.Combine(GlobalPackagesFolder(), id, version);
                if (Directory.Exists(cached))
                    Directory.Delete(cached, recursive: true);
            }
        }
    }

    private static void WriteConsoleProject(string folder, string feed, string version)
    {
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="equirecon-test-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(folder, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="EquiRecon.MLNet" Version="{version}" />
                <PackageReference Include="TorchSharp-cpu" Version="0.107.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using System.Globalization;
            using EquiRecon.MLNet;
            using Microsoft.ML;
            using Microsoft.ML.Data;

            var mlContext = new MLContext();
            var data = mlContext.Data.LoadFromEnumerable(new[] { new Input { ImagePath = args[0] } });
            var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
                .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
                .Append(mlContext.Transforms.EquiRecon().FeaturizeImage());
            var output = pipeline.Fit(data).Transform(data);
            foreach (var column in new[] { "Invariant", "Equivariant" })
            {
                var values = output.GetColumn<float[]>(column).Single();
                Console.WriteLine(column.ToLowerInvariant() + ": " + string.Join(' ', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
            }

            sealed class Input
            {
                public string ImagePath { get; set; } = "";
            }
            """);
    }

    private static float[] ParseVector(string[] lines, string prefix)
    {
        string? line = lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        line.Should().NotBeNull($"the app prints '{prefix}'; it printed:{Environment.NewLine}{string.Join(Environment.NewLine, lines)}");
        return line![prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
    }

    /// <summary>Runs the dotnet CLI in <paramref name="workingDirectory"/>; asserts success and returns its standard output.</summary>
    private static string Dotnet(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo(ModelLoadProbe.DotnetHost())
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

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EquiRecon.MLNet.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("EquiRecon.MLNet.sln was not found above " + AppContext.BaseDirectory);
    }

    private static string GlobalPackagesFolder()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
