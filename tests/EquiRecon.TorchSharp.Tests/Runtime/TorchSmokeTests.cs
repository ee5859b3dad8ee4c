using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Runtime;

public sealed class TorchSmokeTests
{
    [Fact]
    public void Conv_forward_backward_and_optimizer_step_run_on_cpu()
    {
        TorchNative.EnsureLoaded();
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        var conv = nn.Conv2d(3, 4, 3, padding: 1);
        var optimizer = optim.SGD(conv.parameters(), 0.1);
        var x = torch.randn(2, 3, 8, 8);
        var before = conv.weight!.clone();

        var y = conv.call(x);
        y.shape.Should().Equal(2, 4, 8, 8);
        var loss = y.pow(2).mean();
        optimizer.zero_grad();
        loss.backward();
        conv.weight!.grad.Should().NotBeNull();
        conv.weight!.grad!.abs().sum().item<float>().Should().BeGreaterThan(0);
        optimizer.step();

        var after = conv.weight!;
        (after - before).abs().max().item<float>().Should().BeGreaterThan(0, "the optimizer step must change the weights");
        conv.call(x).pow(2).mean().item<float>().Should().BeLessThan(loss.item<float>());
    }

    [Fact]
    public void EnsureLoaded_loads_the_output_copy_on_linux()
    {
        var path = TorchNative.EnsureLoaded();
        if (OperatingSystem.IsLinux())
        {
            path.Should().NotBeNull();
            path!.Should().StartWith(AppContext.BaseDirectory);
        }
    }
}
