namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// The encoders EquiRecon ships ready to use, chosen by name instead of a model file path (e.g.
/// <c>BuiltInEncoder</c> on the options of EquiRecon.MLNet's <c>FeaturizeImage</c>, <c>TransformationProbe</c> and
/// <c>Segmentation</c>); <see cref="BuiltInEncoders"/> reads them.
/// </summary>
public enum BuiltInEncoder
{
    /// <summary>
    /// The default: <c>equirecon-small-cifar10</c>, embedded in EquiRecon.TorchSharp (<see cref="DefaultEncoder"/>): a
    /// small CIFAR-10 encoder for 32 × 32 images, 128 invariant + 128 equivariant channels.
    /// </summary>
    SmallCifar = 0,

    /// <summary>
    /// <c>equirecon-resnet18-imagenette</c>, in the NuGet package <c>EquiRecon.Models.NaturalImage</c> (which the
    /// application must reference): an ImageNet ResNet-18 pretrained further on Imagenette, for photos at 128 × 128,
    /// 256 invariant + 256 equivariant channels.
    /// </summary>
    NaturalImage = 1,
}
