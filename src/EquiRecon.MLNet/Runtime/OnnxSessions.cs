using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet.Runtime;

/// <summary>
/// Creates the ONNX Runtime sessions of <see cref="InferenceRuntime.OnnxRuntime"/> the way <see cref="TorchRuntime"/>
/// picks TorchSharp devices: CUDA execution provider on device <c>mlContext.GpuDeviceId</c> when it is set and the
/// application's ONNX Runtime package has it, otherwise the CPU, failing when a GPU was asked for, CUDA is not available
/// and falling back is not allowed. Touches no TorchSharp type.
/// </summary>
internal static class OnnxSessions
{
    /// <summary>The ONNX Runtime version EquiRecon is built and tested against (<c>OnnxRuntimeVersion</c> in Directory.Packages.props; a test checks they agree); the application's native package must match.</summary>
    public const string OnnxRuntimeVersion = "1.32.0";

    /// <summary>A session over the ONNX model <paramref name="onnx"/> for components created in <paramref name="env"/>.</summary>
    /// <param name="env">The environment whose <c>GpuDeviceId</c> and <c>FallbackToCpu</c> are read.</param>
    /// <param name="onnx">The serialized ONNX model.</param>
    /// <param name="fallbackToCpu">The component's setting; <see langword="null"/> follows <c>mlContext.FallbackToCpu</c>.</param>
    /// <param name="component">The component's name, for messages.</param>
    /// <param name="cpuOnly">Whether the component always runs on the CPU (its TorchSharp path does too), whatever
    /// <c>mlContext.GpuDeviceId</c> says. Default <see langword="false"/>.</param>
    /// <returns>The session and the device it runs on (<c>cpu</c> or <c>cuda:N</c>).</returns>
    /// <exception cref="InvalidOperationException">ONNX Runtime's native library is missing (the message names the package
    /// to add), or a GPU is requested, CUDA is not available and falling back is not allowed.</exception>
    public static (InferenceSession Session, string Device) Create(IHostEnvironment env, byte[] onnx, bool? fallbackToCpu, string component, bool cpuOnly = false)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(onnx);
        var settings = env as IHostEnvironmentInternal;
        try
        {
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
            string device = "cpu";
            if (!cpuOnly && settings?.GpuDeviceId is int gpu)
            {
                try
                {
                    options.AppendExecutionProvider_CUDA(gpu);
                    device = string.Create(CultureInfo.InvariantCulture, $"cuda:{gpu}");
                }
                catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
                {
                    string reason = string.Create(CultureInfo.InvariantCulture,
                        $"ONNX Runtime's CUDA execution provider is not available for device {gpu} (the application references no GPU build such as Microsoft.ML.OnnxRuntime.Gpu.Linux or .Gpu.Windows {OnnxRuntimeVersion}, or no GPU/driver is present: {e.Message})");
                    if (!(fallbackToCpu ?? settings.FallbackToCpu))
                    {
                        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                            $"{component}: mlContext.GpuDeviceId is {gpu} but {reason}. Set FallbackToCpu = true (in the options or on the MLContext) to run on the CPU instead, or leave mlContext.GpuDeviceId null."), e);
                    }
                    using var ch = env.Start(component);
                    ch.Warning(string.Create(CultureInfo.InvariantCulture, $"mlContext.GpuDeviceId is {gpu} but {reason}; running on the CPU (FallbackToCpu)."));
                }
            }
            return (new InferenceSession(onnx, options), device);
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new InvalidOperationException(
                $"{component}: Runtime = {nameof(InferenceRuntime.OnnxRuntime)} needs ONNX Runtime's native library, which did not load ({e.GetBaseException().Message}). " +
                $"Add the package Microsoft.ML.OnnxRuntime {OnnxRuntimeVersion} (or a GPU build of the same version) to the application, or use Runtime = {nameof(InferenceRuntime.TorchSharp)} with a TorchSharp backend.", e);
        }
    }
}
