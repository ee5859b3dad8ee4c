using System.Diagnostics;

namespace EquiRecon.Onnx.Tests;

/// <summary>
/// The test assembly's entry point (the test SDK's generated one is turned off): with <c>export-without-torch model onnx</c>
/// it exports a model file and fails when any native torch library is loaded in the process
/// (<see cref="Export.OnnxExportTests.Exporting_loads_no_libtorch"/>). Test runners do not call it.
/// </summary>
public static class Program
{
    /// <summary>The command the test passes.</summary>
    public const string ExportCommand = "export-without-torch";

    /// <summary>Runs the command.</summary>
    public static int Main(string[] args)
    {
        if (args.Length != 3 || args[0] != ExportCommand)
        {
            Console.Error.WriteLine($"usage: {ExportCommand} <model.equirecon> <out.onnx>");
            return 2;
        }
        OnnxExport.ExportEncoder(args[1], args[2]);
        var torchModules = Process.GetCurrentProcess().Modules.Cast<ProcessModule>()
            .Select(m => m.ModuleName ?? "")
            .Where(n => n.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
                || n.Contains("LibTorchSharp", StringComparison.OrdinalIgnoreCase)
                || n.StartsWith("libc10", StringComparison.OrdinalIgnoreCase)
                || n.StartsWith("torch_cpu", StringComparison.OrdinalIgnoreCase))
            .ToArray();
        if (torchModules.Length > 0)
        {
            Console.Error.WriteLine("native torch libraries loaded: " + string.Join(", ", torchModules));
            return 3;
        }
        Console.WriteLine("exported; no native torch library loaded");
        return 0;
    }
}
