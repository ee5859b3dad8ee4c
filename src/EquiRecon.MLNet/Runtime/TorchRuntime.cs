using System.Globalization;
using EquiRecon.TorchSharp.Runtime;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace EquiRecon.MLNet.Runtime;

/// <summary>
/// TorchSharp for ML.NET components: the device from the <c>MLContext</c> (chosen by <see cref="ComputeDevice"/>, the one
/// home of device decisions), loading libtorch with a message that says what to add, and the temporary folder.
/// </summary>
internal static class TorchRuntime
{
    /// <summary>
    /// The device for components created in <paramref name="env"/>, the way ML.NET's TorchSharp trainers pick it: CUDA device
    /// <c>mlContext.GpuDeviceId</c> when it is set and available, otherwise the CPU (with a warning) when falling back is
    /// allowed, otherwise an error (<see cref="ComputeDevice.OrCpu"/>).
    /// </summary>
    /// <param name="env">The environment (an <c>MLContext</c>'s or a host of it) whose <c>GpuDeviceId</c> is read.</param>
    /// <param name="fallbackToCpu">The component's setting; <see langword="null"/> follows <c>mlContext.FallbackToCpu</c>.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <exception cref="DeviceUnavailableException">A GPU is requested, CUDA is not available and falling back is not allowed;
    /// the message says what to change.</exception>
    public static torch.Device ResolveDevice(IHostEnvironment env, bool? fallbackToCpu, string component)
    {
        ArgumentNullException.ThrowIfNull(env);
        EnsureLoaded(component);
        var settings = env as IHostEnvironmentInternal;
        if (settings?.GpuDeviceId is not int gpu)
            return torch.CPU;

        var device = ComputeDevice.FromGpuDeviceId(gpu).OrCpu(
            fallbackToCpu ?? settings.FallbackToCpu,
            string.Create(CultureInfo.InvariantCulture, $"{component}: mlContext.GpuDeviceId is {gpu}"),
            "Set FallbackToCpu = true (in the options or on the MLContext) to run on the CPU instead, or leave mlContext.GpuDeviceId null.",
            warning =>
            {
                using var ch = env.Start(component);
                ch.Warning(warning + " (FallbackToCpu)");
            });
        return device.ToTorch();
    }

    /// <summary>Loads TorchSharp's native backend (<see cref="TorchNative.EnsureLoaded()"/>), turning its absence into an error that says what to add.</summary>
    /// <param name="component">The component's name, for messages.</param>
    /// <exception cref="InvalidOperationException">The backend did not load (its own message, e.g. a missing libtorch or an
    /// old libstdc++, is kept inside); the message names the packages to add and the ONNX Runtime alternative for inference.</exception>
    public static void EnsureLoaded(string component)
    {
        try
        {
            TorchNative.EnsureLoaded();
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException or EntryPointNotFoundException
            or InvalidOperationException)
        {
            throw new InvalidOperationException(
                $"{component} needs TorchSharp's native backend (libtorch), which did not load ({e.GetBaseException().Message}). Add a TorchSharp backend package " +
                "(TorchSharp-cpu, or TorchSharp-cuda-linux / TorchSharp-cuda-windows, the version of TorchSharp that EquiRecon references). " +
                $"Featurizing can run without it: set Runtime = {nameof(InferenceRuntime.OnnxRuntime)} (EquiReconFeaturizerOptions.Runtime) and reference Microsoft.ML.OnnxRuntime; " +
                "fitting a transformation probe, a segmentation head or pretraining always needs TorchSharp.", e);
        }
    }

    /// <summary>The folder for temporary files of <paramref name="env"/> (<c>mlContext.TempFilePath</c>), else the system's.</summary>
    public static string TempFolder(IHostEnvironment env)
        => env is IHostEnvironmentInternal { TempFilePath: { Length: > 0 } path } && Directory.Exists(path) ? path : Path.GetTempPath();
}
