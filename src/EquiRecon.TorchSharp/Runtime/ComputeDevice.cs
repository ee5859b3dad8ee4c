using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using TorchSharp;

namespace EquiRecon.TorchSharp.Runtime;

/// <summary>
/// Where tensors live and computations run: the CPU, or a CUDA device. The one home of device decisions: parsing
/// (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>), checking availability and the fallback rule, used by pretraining
/// (<c>PretrainingOptions.Device</c>), the ML.NET steps (from <c>MLContext.GpuDeviceId</c> and <c>FallbackToCpu</c>) and the
/// CLI (<c>--device</c>). <c>docs/gpu.md</c> describes how each chooses.
/// </summary>
public sealed record ComputeDevice
{
    /// <summary>The accepted forms, for messages.</summary>
    public const string Forms = "cpu, cuda or cuda:N";

    private ComputeDevice(bool isCuda, int? index)
    {
        IsCuda = isCuda;
        Index = index;
    }

    /// <summary>The CPU.</summary>
    public static ComputeDevice Cpu { get; } = new(false, null);

    /// <summary>
    /// A CUDA device: <paramref name="index"/> <c>N</c> (<c>cuda:N</c>), or libtorch's current CUDA device when
    /// <see langword="null"/> (<c>cuda</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is negative.</exception>
    public static ComputeDevice Cuda(int? index = null)
    {
        if (index is < 0)
            throw new ArgumentOutOfRangeException(nameof(index), index, "A CUDA device index is 0 or more.");
        return new(true, index);
    }

    /// <summary>Whether this is a CUDA device.</summary>
    public bool IsCuda { get; }

    /// <summary>The CUDA device index, <see langword="null"/> for the CPU and for plain <c>cuda</c>.</summary>
    public int? Index { get; }

    /// <summary>Reads <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (exactly these forms, lower case).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out ComputeDevice? device)
    {
        device = text switch
        {
            "cpu" => Cpu,
            "cuda" => Cuda(),
            _ when text is not null && text.StartsWith("cuda:", StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int index) => Cuda(index),
            _ => null,
        };
        return device is not null;
    }

    /// <summary>Reads <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    /// <param name="text">The device text.</param>
    /// <param name="optionName">The option the text came from, named in the message.</param>
    /// <exception cref="ArgumentException">Not one of the forms; the message names <paramref name="optionName"/>.</exception>
    public static ComputeDevice Parse(string? text, string optionName = "device")
        => TryParse(text, out var device)
            ? device
            : throw new ArgumentException($"{optionName}: '{text}' is not a device. Use {Forms}.", optionName);

    /// <summary>
    /// The device ML.NET's <c>MLContext.GpuDeviceId</c> stands for: CUDA device <paramref name="gpuDeviceId"/>, the CPU when
    /// it is <see langword="null"/>.
    /// </summary>
    public static ComputeDevice FromGpuDeviceId(int? gpuDeviceId) => gpuDeviceId is int id ? Cuda(id) : Cpu;

    /// <summary>The device's text: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c> (what <see cref="Parse"/> reads).</summary>
    public override string ToString() => !IsCuda ? "cpu" : Index is int i ? string.Create(CultureInfo.InvariantCulture, $"cuda:{i}") : "cuda";

    /// <summary>The TorchSharp device (loads libtorch first).</summary>
    public torch.Device ToTorch()
    {
        TorchNative.EnsureLoaded();
        return !IsCuda ? torch.CPU : Index is int i ? torch.device(DeviceType.CUDA, i) : torch.device(DeviceType.CUDA);
    }

    /// <summary>Why this device cannot be used on this machine, or <see langword="null"/> when it can (the CPU always can).</summary>
    public string? WhyUnavailable()
    {
        if (!IsCuda)
            return null;
        TorchNative.EnsureLoaded();
        if (!torch.cuda.is_available())
            return "CUDA is not available to TorchSharp (no CUDA backend such as TorchSharp-cuda-linux is referenced, or no GPU or driver is present)";
        int count = torch.cuda.device_count();
        return Index is int i && i >= count
            ? string.Create(CultureInfo.InvariantCulture, $"TorchSharp sees {count} CUDA device(s), so there is no device {i}")
            : null;
    }

    /// <summary>
    /// The device to run on, by the one fallback rule: this device when it is available; else the CPU when
    /// <paramref name="fallbackToCpu"/> (after telling <paramref name="warn"/> why); else an exception.
    /// </summary>
    /// <param name="fallbackToCpu">Whether an unavailable device means the CPU instead of an error.</param>
    /// <param name="request">Who asked for the device, how, for messages: e.g. <c>Option '--device' is 'cuda'</c>.</param>
    /// <param name="advice">What to change, appended to the error: e.g. <c>Use --device cpu.</c></param>
    /// <param name="warn">Receives the warning when falling back.</param>
    /// <exception cref="DeviceUnavailableException">The device is not available and <paramref name="fallbackToCpu"/> is false.</exception>
    public ComputeDevice OrCpu(bool fallbackToCpu, string request, string advice, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(advice);
        if (WhyUnavailable() is not { } reason)
            return this;
        if (!fallbackToCpu)
            throw new DeviceUnavailableException($"{request} but {reason}. {advice}".TrimEnd());
        warn?.Invoke($"{request} but {reason}; running on the CPU.");
        return Cpu;
    }

    /// <summary>This device, checked to be available (<see cref="OrCpu"/> without falling back).</summary>
    /// <exception cref="DeviceUnavailableException">The device is not available; the message starts with <paramref name="request"/>.</exception>
    public ComputeDevice EnsureAvailable(string request, string advice) => OrCpu(fallbackToCpu: false, request, advice);
}

/// <summary>A CUDA device was asked for that this machine (or this build of libtorch) does not have.</summary>
public sealed class DeviceUnavailableException : InvalidOperationException
{
    /// <summary>An exception with a default message.</summary>
    public DeviceUnavailableException() : base("The device is not available.")
    {
    }

    /// <summary>An exception with <paramref name="message"/>.</summary>
    public DeviceUnavailableException(string message) : base(message)
    {
    }

    /// <summary>An exception with <paramref name="message"/> caused by <paramref name="innerException"/>.</summary>
    public DeviceUnavailableException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
