using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace EquiRecon.Cli.Tests;

/// <summary>docs/architecture.md's table of project references is the truth (issue 26 item 7).</summary>
public sealed partial class ArchitectureTests
{
    [Fact]
    public void The_project_references_of_every_src_project_are_the_ones_docs_architecture_lists()
    {
        var root = RepositoryRoot.Find();
        var documented = DocumentedReferences(File.ReadAllText(Path.Combine(root, "docs", "architecture.md")));
        var actual = Directory.GetDirectories(Path.Combine(root, "src"))
            .Select(dir => Path.Combine(dir, Path.GetFileName(dir) + ".csproj"))
            .Where(File.Exists)
            .ToDictionary(path => Path.GetFileNameWithoutExtension(path), SrcReferences, StringComparer.Ordinal);

        actual.Keys.Should().BeEquivalentTo(documented.Keys, "every project under src/ has a row in docs/architecture.md, and every row a project");
        foreach (var (project, references) in actual)
            references.Should().BeEquivalentTo(documented[project], $"{project}.csproj references what docs/architecture.md says");
    }

    /// <summary>The rows <c>| EquiRecon.X | EquiRecon.Y, EquiRecon.Z |</c> (or <c>—</c>) of the references table.</summary>
    private static Dictionary<string, string[]> DocumentedReferences(string markdown)
    {
        var rows = Row().Matches(markdown).ToDictionary(
            m => m.Groups["project"].Value,
            m => m.Groups["references"].Value.Trim() is "—" or "-" ? [] : m.Groups["references"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            StringComparer.Ordinal);
        rows.Should().NotBeEmpty("docs/architecture.md has the table of project references");
        return rows;
    }

    /// <summary>The names of the <c>src/</c> projects <paramref name="csproj"/> references (tools excluded).</summary>
    private static string[] SrcReferences(string csproj) =>
        [.. XDocument.Load(csproj).Descendants("ProjectReference")
            .Select(e => e.Attribute("Include")?.Value.Replace('\\', '/') ?? "")
            .Where(path => path.StartsWith("../EquiRecon.", StringComparison.Ordinal))
            .Select(path => Path.GetFileNameWithoutExtension(path))];

    [GeneratedRegex(@"^\| (?<project>EquiRecon\.[\w.]+) \| (?<references>[^|]+) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex Row();
}
