namespace EquiRecon.TorchSharp.Encoders;

/// <summary>The first layers of a ResNet, before the residual stages.</summary>
public enum ResNetStem
{
    /// <summary>A 3×3 convolution with stride 1 and no max-pool (small images such as CIFAR's 32 px): the stem keeps the resolution.</summary>
    Cifar,

    /// <summary>A 7×7 convolution with stride 2, then a 3×3 max-pool with stride 2 (torchvision's ResNet, images of 96 px and more): the stem divides the resolution by 4.</summary>
    ImageNet,
}
