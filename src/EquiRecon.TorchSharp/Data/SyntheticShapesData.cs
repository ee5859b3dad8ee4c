using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Data;

/// <summary>Procedural shape images with their generating factors.</summary>
/// <param name="Dataset">uint8 images <c>(N, 3, S, S)</c>, shape labels <c>(N)</c> and the shape names (<see cref="SyntheticShapes.ClassNames"/>).</param>
/// <param name="Latents">
/// float32 factors <c>(N, 5)</c>, columns (see the <see cref="SyntheticShapes"/> column constants):
/// 0 angle in radians, 1 hue, 2 centre x, 3 centre y, 4 scale.
/// </param>
public sealed record SyntheticShapesData(ImageDataset Dataset, Tensor Latents) : IDisposable
{
    /// <summary>Disposes the dataset and the latents.</summary>
    public void Dispose()
    {
        Dataset.Dispose();
        Latents.Dispose();
    }
}
