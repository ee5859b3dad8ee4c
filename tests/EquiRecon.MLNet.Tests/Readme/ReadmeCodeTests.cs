using EquiRecon.MLNet.Tests.TestSupport;

namespace EquiRecon.MLNet.Tests.Readme;

/// <summary>
/// README.md's C# cannot drift from the API: every <c>```csharp</c> block compiles as a console program with its own
/// <c>using</c> lines (always, no data needed), and the featurize-and-classify block runs on a few CIFAR-10 images.
/// </summary>
public sealed class ReadmeCodeTests
{
    public static TheoryData<int> BlockLines()
    {
        var data = new TheoryData<int>();
        foreach (var block in ReadmeCode.Blocks())
            data.Add(block.Line);
        return data;
    }

    [Fact]
    public void The_readme_has_the_csharp_blocks_a_user_starts_from()
    {
        var blocks = ReadmeCode.Blocks();

        blocks.Should().HaveCountGreaterThanOrEqualTo(4);
        blocks.Should().ContainSingle(b => IsPipelineBlock(b), "the pipeline block is there once");
        blocks.Should().Contain(b => b.Code.Contains(".Pretrain(", StringComparison.Ordinal) && b.Code.Contains("SaveModelFile(", StringComparison.Ordinal),
            "pretraining inside a pipeline and saving the encoder are shown");
        blocks.Should().OnlyContain(b => b.Code.Contains("using ", StringComparison.Ordinal), "every block carries its using lines");
    }

    private static bool IsPipelineBlock(ReadmeCode.Block block)
        => block.Code.Contains("FeaturizeImage()", StringComparison.Ordinal) && block.Code.Contains("SdcaMaximumEntropy", StringComparison.Ordinal);

    [Theory]
    [MemberData(nameof(BlockLines))]
    public void Every_csharp_block_of_the_readme_compiles(int line)
    {
        var block = ReadmeCode.Blocks().Single(b => b.Line == line);

        var (_, problems) = ReadmeCode.Compile(block.Code, "ReadmeBlock" + line);

        problems.Should().BeEmpty(ReadmeCode.Describe(problems, block.Line));
    }

    [Fact]
    public void The_compile_check_rejects_a_block_that_uses_an_api_that_does_not_exist()
    {
        const string code = """
            using EquiRecon.MLNet;
            using Microsoft.ML;

            var mlContext = new MLContext();
            var step = mlContext.Transforms.EquiRecon().FeaturizeImage(modelPath: "encoder.equirecon");
            """;

        var (_, problems) = ReadmeCode.Compile(code, "ReadmeNegative");

        problems.Should().Contain(d => d.Id == "CS1739", "FeaturizeImage has no parameter modelPath");
    }

    [Cifar10Fact]
    public void The_pipeline_block_of_the_readme_runs_on_a_few_images()
    {
        string[] classes = ["airplane", "frog", "ship"];
        using var temp = new TempDir();
        foreach (string path in SharedData.Cifar10TestImages(6, classes))
        {
            string label = Path.GetFileName(Path.GetDirectoryName(path))!;
            Directory.CreateDirectory(Path.Combine(temp.Path, label));
            File.Copy(path, Path.Combine(temp.Path, label, Path.GetFileName(path)));
        }

        var block = ReadmeCode.Blocks().Single(IsPipelineBlock);
        var program = ReadmeCode.Load(block.Code, "ReadmePipeline");
        var output = new StringWriter();
        var previous = Console.Out;
        try
        {
            Console.SetOut(output);
            program.EntryPoint!.Invoke(null, [new[] { temp.Path }]);
        }
        finally
        {
            Console.SetOut(previous);
        }

        var predictions = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => l.Contains(".jpg: ", StringComparison.Ordinal))
            .ToArray();
        predictions.Should().NotBeEmpty($"the block prints predictions; it printed:\n{output}");
        string[] labels = predictions.Select(l => l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..]).ToArray();
        labels.Should().OnlyContain(label => classes.Contains(label), "MapKeyToValue turns the predicted key back into a class name");
    }
}
