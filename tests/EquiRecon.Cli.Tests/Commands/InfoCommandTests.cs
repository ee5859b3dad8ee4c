using System.CommandLine;

namespace EquiRecon.Cli.Tests.Commands;

public sealed class InfoCommandTests
{
    [Fact]
    public void Info_prints_versions_and_the_native_library()
    {
        using var output = new StringWriter();
        var code = EquiReconCli.CreateRootCommand().Parse(["info"]).Invoke(new InvocationConfiguration { Output = output });
        code.Should().Be(0);
        output.ToString().Should().Contain("TorchSharp").And.Contain("libtorch").And.Contain("CUDA available")
            .And.Contain("default encoder  equirecon-small-cifar10: small-cifar-resnet, 32 px").And.Contain("(verified)");
    }

    [Fact]
    public void Unknown_command_fails_with_a_message()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = EquiReconCli.CreateRootCommand().Parse(["no-such-command"]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        code.Should().NotBe(0);
        error.ToString().Should().Contain("no-such-command");
    }
}
