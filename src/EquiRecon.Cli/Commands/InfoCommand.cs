using System.CommandLine;
using EquiRecon.TorchSharp.IO;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.Cli.Commands;

/// <summary><c>equirecon info</c>: versions, native library and devices, to check an installation.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print library versions, the TorchSharp native library in use, thread count, CUDA availability and the built-in encoders.");
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var native = TorchNative.EnsureLoaded();
            output.WriteLine($"EquiRecon        {typeof(TorchNative).Assembly.GetName().Version}");
            output.WriteLine($"TorchSharp       {typeof(torch).Assembly.GetName().Version}");
            output.WriteLine($"libtorch         {torch.__version__}");
            output.WriteLine($"native library   {native ?? "(loaded by TorchSharp)"}");
            output.WriteLine($"threads          {torch.get_num_threads()}");
            output.WriteLine($"CUDA available   {torch.cuda.is_available()}");
            // Reading the manifest checks the embedded file's SHA-256.
            var defaultEncoder = DefaultEncoder.ReadManifest();
            output.WriteLine($"default encoder  {DefaultEncoder.Name}: {defaultEncoder.Provenance.GetValueOrDefault("encoder", "?")}, {defaultEncoder.InputSize} px, " +
                $"{defaultEncoder.Encoder.InvariantChannels} invariant + {defaultEncoder.Encoder.EquivariantChannels} equivariant channels, SHA-256 {DefaultEncoder.Sha256[..12]}… (verified)");
            // The natural-image encoder lives in its own package, found at run time when the application carries it.
            if (BuiltInEncoders.IsAvailable(BuiltInEncoder.NaturalImage))
            {
                var natural = BuiltInEncoders.ReadManifest(BuiltInEncoder.NaturalImage);
                output.WriteLine($"natural-image    {nameof(BuiltInEncoder)}.{nameof(BuiltInEncoder.NaturalImage)} ({BuiltInEncoders.NaturalImagePackageId}): {natural.Provenance.GetValueOrDefault("encoder", "?")}, {natural.InputSize} px, " +
                    $"{natural.Encoder.InvariantChannels} invariant + {natural.Encoder.EquivariantChannels} equivariant channels (SHA-256 verified)");
            }
            else
            {
                output.WriteLine($"natural-image    not installed (package {BuiltInEncoders.NaturalImagePackageId})");
            }
            return 0;
        });
        return command;
    }
}
