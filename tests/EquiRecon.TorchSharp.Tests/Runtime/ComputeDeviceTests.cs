using EquiRecon.TorchSharp.Runtime;
using EquiRecon.TorchSharp.Training;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Runtime;

public sealed class ComputeDeviceTests
{
    [Theory]
    [InlineData("cpu", false, null)]
    [InlineData("cuda", true, null)]
    [InlineData("cuda:0", true, 0)]
    [InlineData("cuda:12", true, 12)]
    public void Parses_the_three_forms_and_writes_them_back(string text, bool isCuda, int? index)
    {
        var device = ComputeDevice.Parse(text);

        device.IsCuda.Should().Be(isCuda);
        device.Index.Should().Be(index);
        device.ToString().Should().Be(text);
    }

    [Theory]
    [InlineData("")]
    [InlineData("CPU")]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData(" cuda")]
    public void Refuses_anything_else_naming_the_option(string text)
    {
        ComputeDevice.TryParse(text, out _).Should().BeFalse();
        FluentActions.Invoking(() => ComputeDevice.Parse(text, "Device")).Should().Throw<ArgumentException>()
            .WithParameterName("Device").WithMessage("*cpu, cuda or cuda:N*");
        FluentActions.Invoking(() => new PretrainingOptions { Device = text }.Validate()).Should().Throw<ArgumentException>()
            .WithParameterName(nameof(PretrainingOptions.Device));
    }

    [Fact]
    public void MLContext_GpuDeviceId_maps_to_a_CUDA_device_or_the_CPU()
    {
        ComputeDevice.FromGpuDeviceId(null).Should().Be(ComputeDevice.Cpu);
        ComputeDevice.FromGpuDeviceId(1).Should().Be(ComputeDevice.Cuda(1));
    }

    [Fact]
    public void The_CPU_is_always_available()
    {
        ComputeDevice.Cpu.WhyUnavailable().Should().BeNull();
        ComputeDevice.Cpu.EnsureAvailable("request", "advice").Should().Be(ComputeDevice.Cpu);
        ComputeDevice.Cpu.ToTorch().type.Should().Be(DeviceType.CPU);
    }

    [Fact]
    public void An_unavailable_CUDA_device_throws_or_falls_back_to_the_CPU_with_a_warning()
    {
        var missing = ComputeDevice.Cuda(torch.cuda.is_available() ? torch.cuda.device_count() : 0);
        missing.WhyUnavailable().Should().NotBeNull();

        FluentActions.Invoking(() => missing.OrCpu(fallbackToCpu: false, "Option 'x' is 'cuda:N'", "Use cpu."))
            .Should().Throw<DeviceUnavailableException>().WithMessage("Option 'x' is 'cuda:N' but *. Use cpu.");
        string? warning = null;
        missing.OrCpu(fallbackToCpu: true, "Option 'x' is 'cuda:N'", "Use cpu.", w => warning = w).Should().Be(ComputeDevice.Cpu);
        warning.Should().StartWith("Option 'x' is 'cuda:N' but ").And.EndWith("running on the CPU.");
    }
}
