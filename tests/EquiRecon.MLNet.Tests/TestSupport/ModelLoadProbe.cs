using System.Diagnostics;
using System.Globalization;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>
/// Runs tests/EquiRecon.MLNet.ModelLoadProbe (copied into <c>ModelLoadProbe/</c> beside the test assembly by the
/// test project) in a child process: a fresh .NET process that only calls <c>mlContext.Model.Load</c>.
/// </summary>
internal static class ModelLoadProbe
{
    public static string ProbePath => Path.Combine(AppContext.BaseDirectory, "ModelLoadProbe", "EquiRecon.MLNet.ModelLoadProbe.dll");

    /// <summary>The probe's report: whether EquiRecon.MLNet was loaded before / after <c>Model.Load</c>, and the rows.</summary>
    public sealed record Result(bool LoadedBeforeLoad, bool LoadedAfterLoad, IReadOnlyList<float[]> Rows);

    /// <summary>The probe's report for several output columns: the rows of each, by column name.</summary>
    public sealed record ColumnsResult(bool LoadedBeforeLoad, bool LoadedAfterLoad, IReadOnlyDictionary<string, IReadOnlyList<float[]>> Columns);

    public static Result Run(string modelPath, string inputColumn, string outputColumn, IEnumerable<string> values)
    {
        var result = RunColumns(modelPath, inputColumn, [outputColumn], values);
        return new Result(result.LoadedBeforeLoad, result.LoadedAfterLoad, result.Columns[outputColumn]);
    }

    /// <summary>Runs the probe and reads every named float vector column of the transformed data.</summary>
    public static ColumnsResult RunColumns(string modelPath, string inputColumn, IReadOnlyList<string> outputColumns, IEnumerable<string> values)
    {
        File.Exists(ProbePath).Should().BeTrue($"the test project copies the probe to {ProbePath}");
        var start = new ProcessStartInfo(DotnetHost.Path())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in (string[])["exec", ProbePath, modelPath, inputColumn, string.Join(',', outputColumns), .. values])
            start.ArgumentList.Add(arg);

        using var process = Process.Start(start)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit(60_000).Should().BeTrue("the probe finishes within a minute");
        string stderr = stderrTask.Result;
        process.ExitCode.Should().Be(0, $"the probe succeeds; stderr:{Environment.NewLine}{stderr}");

        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        bool before = ParseFlag(lines, "equirecon-loaded-before-load");
        bool after = ParseFlag(lines, "equirecon-loaded-after-load");
        var columns = new Dictionary<string, IReadOnlyList<float[]>>(StringComparer.Ordinal);
        foreach (string name in outputColumns)
        {
            int columnAt = Array.IndexOf(lines, "column: " + name);
            columnAt.Should().BeGreaterThanOrEqualTo(0, $"the probe prints column {name}; stdout:{Environment.NewLine}{stdout}");
            int rowsAt = columnAt + 1;
            lines[rowsAt].Should().StartWith("rows: ");
            int count = int.Parse(lines[rowsAt]["rows: ".Length..], CultureInfo.InvariantCulture);
            var rows = lines.Skip(rowsAt + 1).Take(count)
                .Select(l => l.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
                .ToArray();
            rows.Should().HaveCount(count);
            columns[name] = rows;
        }

        return new ColumnsResult(before, after, columns);
    }

    private static bool ParseFlag(string[] lines, string name)
    {
        string? line = lines.FirstOrDefault(l => l.StartsWith(name + ": ", StringComparison.Ordinal));
        line.Should().NotBeNull($"the probe reports {name}");
        return bool.Parse(line![(name.Length + 2)..]);
    }
}
