using System.CommandLine;
using System.Security.Cryptography;
using EquiRecon.Onnx;

namespace EquiRecon.Cli.Commands;

/// <summary>
/// <c>equirecon export --format onnx</c>: writes the encoder of a model file as an ONNX model (opset 17, raw RGB pixels in,
/// normalisation inside, outputs <c>invariant</c>, <c>equivariant</c>, <c>tokens</c>) for inference without libtorch.
/// </summary>
internal static class ExportCommand
{
    /// <summary>The export formats.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["onnx"];

    internal sealed class Options
    {
        public Option<string> Format { get; } = CliOptions.OneOf("--format", "The format to write: onnx.", Formats, defaultValue: "onnx");

        public Option<FileInfo> Model { get; } = CliOptions.ExistingFile("--model", "The EquiRecon model file to export (.equirecon).");

        public Option<FileInfo> Out { get; } = new("--out") { Description = "The file to write (e.g. encoder.onnx).", Required = true };

        public Option<int?> InputSize { get; } = CliOptions.OptionalInt("--input-size",
            "Image side S of the exported input (pixels N x 3 x S x S). Default: the model file's input size.", minimum: 8);

        public Option<bool> KeepBatchNorm { get; } = new("--keep-batch-norm")
        {
            Description = "Keep BatchNormalization nodes instead of folding them into the convolutions (the default).",
        };

        public IEnumerable<Option> All => [Format, Model, Out, InputSize, KeepBatchNorm];
    }

    public static Command Create()
    {
        var options = new Options();
        var command = new Command("export",
            $"Export the encoder of a model file to ONNX (opset {OnnxExport.OpsetVersion}): input '{OnnxExport.InputName}' (N x 3 x S x S RGB pixels in [0, 255], normalisation inside), " +
            $"outputs '{OnnxExport.InvariantOutputName}', '{OnnxExport.EquivariantOutputName}', '{OnnxExport.TokensOutputName}'. Needs no libtorch.");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction(parse => CommandRunner.Run(parse, (console, _) => Run(options, parse, console)));
        return command;
    }

    private static int Run(Options o, ParseResult parse, CliConsole console)
    {
        var model = parse.GetRequiredValue(o.Model).FullName;
        var outPath = parse.GetRequiredValue(o.Out).FullName;
        var exportOptions = new OnnxExportOptions { InputSize = parse.GetValue(o.InputSize), FoldBatchNorm = !parse.GetValue(o.KeepBatchNorm) };
        var manifest = OnnxExport.ExportEncoder(model, outPath, exportOptions);
        string sha;
        using (var stream = File.OpenRead(outPath))
            sha = Convert.ToHexStringLower(SHA256.HashData(stream));
        var size = exportOptions.InputSize ?? manifest.InputSize;
        var batchNorm = exportOptions.FoldBatchNorm ? "folded into the convolutions" : "kept";
        console.Line($"Wrote {outPath} (ONNX opset {OnnxExport.OpsetVersion}, SHA-256 {sha}): input '{OnnxExport.InputName}' N x 3 x {size} x {size} RGB 0-255; outputs '{OnnxExport.InvariantOutputName}' N x {manifest.Encoder.InvariantChannels}, '{OnnxExport.EquivariantOutputName}' N x {manifest.Encoder.EquivariantChannels}, '{OnnxExport.TokensOutputName}'; batch norm {batchNorm}.");
        return ExitCodes.Ok;
    }
}
