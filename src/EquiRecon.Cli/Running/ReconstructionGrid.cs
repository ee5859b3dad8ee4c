using EquiRecon.Cli.Reports;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Decoder;
using EquiRecon.TorchSharp.Methods;
using EquiRecon.TorchSharp.Training;
using static TorchSharp.torch;

namespace EquiRecon.Cli.Running;

/// <summary>
/// The reconstruction picture of a trained <c>equirecon</c> model: for a few held-out images, view A, view B and
/// the decoder's reconstruction of view B (from B's equivariant and A's invariant tokens), de-normalized.
/// </summary>
internal static class ReconstructionGrid
{
    /// <summary>Writes a PNG of 3 rows (view A, view B, reconstruction) × up to <paramref name="count"/> images.</summary>
    /// <exception cref="CliException">The method has no reconstruction head.</exception>
    public static void Write(Pretrainer trainer, ImageDataset images, string path, string title, int count = 8, long seed = 0)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(images);
        var model = trainer.Model;
        var head = model.ReconstructionHead
            ?? throw new CliException($"Method '{model.Method.Name}' has no reconstruction decoder; there is nothing to picture.");
        var n = Math.Min(count, images.Count);
        var size = model.ImageSize;
        var patch = size / model.EncoderConfig.TokenGridSize(size);
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var x = ImageTensors.ToFloat(images.Images.narrow(0, 0, n).to(trainer.Device));
            var pipeline = AugmentationPipeline.Default(size, [.. model.Method.Augmentations]);
            using var generator = new Generator((ulong)seed + 101, trainer.Device);
            using var a = pipeline.Apply(x, generator);
            using var b = pipeline.Apply(x, generator);
            var input = new PretrainingInput(trainer.Normalize(a.Images), trainer.Normalize(b.Images), a, b, null);
            var pair = model.Encode(input);
            var reconstructed = Patches.Unpatchify(head.Reconstruct(pair), patch, size, size);
            var mean = tensor(trainer.Options.Mean.ToArray(), device: trainer.Device).view(1, 3, 1, 1);
            var std = tensor(trainer.Options.Std.ToArray(), device: trainer.Device).view(1, 3, 1, 1);
            var rows = stack([a.Images, b.Images, (reconstructed * std + mean).clamp(0, 1)], 0); // (3, n, 3, S, S)
            var bytes = (rows.permute(0, 1, 3, 4, 2) * 255).round().clamp(0, 255).to(ScalarType.Byte).cpu().contiguous();
            Plots.WriteImageGrid(path, title, ["view A", "view B", "recon. B"], n, size, bytes.data<byte>().ToArray());
        }
        finally
        {
            if (wasTraining)
                model.train();
        }
    }
}
