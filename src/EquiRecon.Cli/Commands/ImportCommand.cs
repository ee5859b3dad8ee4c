using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using EquiRecon.Onnx;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// <c>equirecon import</c>: converts ML.NET's ImageNet ResNet-18 (<c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c>,
/// <c>ResNet18.onnx</c> + <c>ResNetPreprocess.onnx</c>) into a model file with the <c>mlnet-resnet18</c> encoder.
/// </summary>
internal static class ImportCommand
{
    internal sealed class Options
    {
        public Option<string?> From { get; } = new("--from")
        {
            Description = $"The folder holding {MlNetResNet18Import.ModelFileName} and {MlNetResNet18Import.PreprocessFileName} (the package folder, its tools/DnnImageModels, " +
                $"or a build output's DnnImageModels), or the path of {MlNetResNet18Import.ModelFileName}. Default: {MlNetResNet18Import.PackageId} {MlNetResNet18Import.PackageVersion} in the NuGet global packages folder.",
        };

        public Option<FileInfo> Out { get; } = new("--out") { Description = "The model file to write (e.g. mlnet-resnet18-224.equirecon).", Required = true };

        public Option<int> InputSize { get; } = CreateInputSize();

        public IEnumerable<Option> All => [From, Out, InputSize];

        private static Option<int> CreateInputSize()
        {
            var option = CliOptions.Int("--input-size", "Image side recorded in the model file, a multiple of 32 (224: ML.NET's; 128 gives 4×4 tokens).",
                MlNetResNet18Import.DefaultInputSize, minimum: 32);
            option.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<int>() is var size && size >= 32 && size % 32 != 0)
                    result.AddError($"Option '--input-size' must be a multiple of 32 (every stride-2 layer must see even sides to match CNTK's top/left padding), got {size}.");
            });
            return option;
        }
    }

    public static Command Create()
    {
        var options = new Options();
        var command = new Command("import",
            $"Import ML.NET's ImageNet ResNet-18 ({MlNetResNet18Import.PackageId}, ONNX) into an EquiRecon model file (encoder {MlNetResNet18Import.EncoderName}, method '{MlNetResNet18Import.MethodName}').");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction(parse => CommandRunner.Run(parse, (console, _) => Run(options, parse, console)));
        return command;
    }

    private static int Run(Options o, ParseResult parse, CliConsole console)
    {
        var outPath = parse.GetRequiredValue(o.Out).FullName;
        var inputSize = parse.GetValue(o.InputSize);
        try
        {
            var (model, preprocess) = MlNetResNet18Import.LocateFiles(parse.GetValue(o.From));
            var manifest = MlNetResNet18Import.Import(model, preprocess, outPath, inputSize,
                new Dictionary<string, string> { ["command"] = CliOptions.CommandLine(parse) });
            string sha;
            using (var stream = File.OpenRead(outPath))
                sha = Convert.ToHexStringLower(SHA256.HashData(stream));
            var p = manifest.Provenance;
            var bgr = p["source_channel_means_bgr"].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            console.Line($"Wrote {outPath} (SHA-256 {sha}): {MlNetResNet18Import.EncoderName} from {p["source_package"]} {p["source_package_version"]}, {manifest.InputSize} px; input RGB in [0, 1] minus mean ({manifest.Mean[0]:F4}, {manifest.Mean[1]:F4}, {manifest.Mean[2]:F4}) divided by std ({manifest.Std[0]:F3}, {manifest.Std[1]:F3}, {manifest.Std[2]:F3}), folded into the stem, plus the rest of the mean image as the encoder's input offset: ML.NET's {p["source_channel_order"]} {p["source_scale"]} minus its mean image (channel means B {bgr[0]:F2}, G {bgr[1]:F2}, R {bgr[2]:F2}).");
            return ExitCodes.Ok;
        }
        catch (OnnxImportException e)
        {
            throw new CliException(e.Message, e);
        }
    }
}
