using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EquiRecon.MLNet.Tests.Readme;

/// <summary>
/// The C# blocks of the repository's README.md and a compiler for them: each block is a whole program (top-level
/// statements with its own <c>using</c> lines), compiled as a user's console app would be — the implicit usings of
/// <c>dotnet new console</c>, nullable on, warnings as errors — against the assemblies this test project runs with
/// (EquiRecon.MLNet, Microsoft.ML, ImageAnalytics, TorchSharp, …).
/// </summary>
internal static partial class ReadmeCode
{
    // The global usings of a `dotnet new console` project (ImplicitUsings=enable, Microsoft.NET.Sdk).
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly Lazy<string> LazyReadmePath = new(FindReadme);
    private static readonly Lazy<MetadataReference[]> LazyReferences = new(LoadReferences);

    /// <summary>A fenced <c>```csharp</c> block: the README line its code starts on, and the code.</summary>
    public sealed record Block(int Line, string Code)
    {
        public override string ToString() => $"README.md line {Line}";
    }

    /// <summary>The full path of the repository's README.md (the folder above the tests that holds the solution).</summary>
    public static string ReadmePath => LazyReadmePath.Value;

    /// <summary>Every <c>```csharp</c> block of README.md, in order.</summary>
    public static IReadOnlyList<Block> Blocks()
    {
        string[] lines = File.ReadAllLines(ReadmePath);
        var blocks = new List<Block>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() is not ("```csharp" or "```cs" or "```c#"))
                continue;
            int start = i + 1;
            int end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
                end++;
            if (end == lines.Length)
                throw new InvalidDataException($"README.md: the C# block at line {start} is not closed.");
            blocks.Add(new Block(start + 1, string.Join('\n', lines[start..end])));
            i = end;
        }

        return blocks;
    }

    /// <summary>Compiles <paramref name="code"/> as a console program; the diagnostics are warnings and errors.</summary>
    public static (CSharpCompilation Compilation, IReadOnlyList<Diagnostic> Problems) Compile(string code, string assemblyName)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(ImplicitUsings, parse, "GlobalUsings.g.cs"), CSharpSyntaxTree.ParseText(code, parse, "Program.cs")],
            LazyReferences.Value,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable,
                optimizationLevel: OptimizationLevel.Release, generalDiagnosticOption: ReportDiagnostic.Error));
        var problems = compilation.GetDiagnostics()
            .Where(d => d.Severity >= DiagnosticSeverity.Warning || d.IsWarningAsError)
            .ToArray();
        return (compilation, problems);
    }

    /// <summary>Compiles <paramref name="code"/> into an assembly loaded in this process (its references resolve to the test's).</summary>
    public static Assembly Load(string code, string assemblyName)
    {
        var (compilation, problems) = Compile(code, assemblyName);
        problems.Should().BeEmpty("the block compiles");
        using var image = new MemoryStream();
        var emit = compilation.Emit(image);
        emit.Success.Should().BeTrue(string.Join('\n', emit.Diagnostics));
        return Assembly.Load(image.ToArray());
    }

    /// <summary>Formats diagnostics with their line in README.md (the block starts at <paramref name="firstLine"/>).</summary>
    public static string Describe(IEnumerable<Diagnostic> problems, int firstLine)
        => string.Join('\n', problems.Select(d =>
            $"README.md line {firstLine + d.Location.GetLineSpan().StartLinePosition.Line}: {d.Id} {d.GetMessage()}"));

    private static string FindReadme()
    {
        var readme = Path.Combine(EquiRecon.TestSupport.RepositoryRoot.Find(), "README.md");
        return File.Exists(readme) ? readme : throw new FileNotFoundException("README.md beside EquiRecon.MLNet.sln was not found", readme);
    }

    // The framework (trusted platform assemblies) and every managed assembly of the test's output folder.
    private static MetadataReference[] LoadReferences()
    {
        string tpa = AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "";
        var paths = tpa.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(p => !TestInfrastructure().IsMatch(Path.GetFileName(p)))
            .GroupBy(p => Path.GetFileName(p), StringComparer.OrdinalIgnoreCase)
            .Select(g => g.First())
            .Where(IsManaged);
        return paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToArray();
    }

    private static bool IsManaged(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            return pe.HasMetadata && pe.GetMetadataReader().IsAssembly;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    // A user's console app does not see the test framework, Roslyn itself or the test project.
    [GeneratedRegex(@"^(xunit|testhost|Microsoft\.TestPlatform|Microsoft\.VisualStudio\.|Microsoft\.CodeAnalysis|FluentAssertions|EquiRecon\.MLNet\.Tests)", RegexOptions.IgnoreCase)]
    private static partial Regex TestInfrastructure();
}
