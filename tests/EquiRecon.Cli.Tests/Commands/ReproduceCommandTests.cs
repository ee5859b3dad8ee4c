namespace EquiRecon.Cli.Tests.Commands;

public sealed class ReproduceCommandTests
{
    [Fact]
    public void Unknown_budget_fails_naming_the_option_and_the_budgets()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("reproduce", "--budget", "huge", "--data", dir.Path, "--out", dir.Sub("out"));
        code.Should().Be(1);
        error.Should().Contain("--budget").And.Contain("smoke").And.Contain("small").And.Contain("full");
    }

    [Fact]
    public void Unknown_row_and_table_fail_naming_the_option()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("reproduce", "--budget", "smoke", "--data", dir.Path, "--out", dir.Sub("out"), "--methods", "equirecon,simclr", "--table", "imagenet");
        code.Should().Be(1);
        error.Should().Contain("--methods").And.Contain("simclr").And.Contain("--table").And.Contain("imagenet");
    }

    [Fact]
    public void Bad_seeds_and_missing_data_fail()
    {
        using var dir = new TempDir();
        var (code, _, error) = Cli.Run("reproduce", "--budget", "smoke", "--data", dir.Sub("missing"), "--out", dir.Sub("out"), "--seeds", "0");
        code.Should().Be(1);
        error.Should().Contain("--seeds").And.Contain("--data");
    }

    [Fact]
    public void Cuda_budget_on_a_cpu_build_fails_with_a_message()
    {
        using var dir = new TempDir();
        if (global::TorchSharp.torch.cuda.is_available())
            return;
        var (code, _, error) = Cli.Run("reproduce", "--budget", "full", "--data", dir.Path, "--out", dir.Sub("out"));
        code.Should().Be(1);
        error.Should().Contain("CUDA").And.Contain("--device");
        error.Should().NotContain("   at ");
    }
}
