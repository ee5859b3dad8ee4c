namespace EquiRecon.TorchSharp.Augment;

/// <summary>The transformations whose parameters the methods condition on and the probes predict.</summary>
public enum TransformKind
{
    /// <summary>Rotation by an angle (degrees), about the image centre.</summary>
    Rotation,
    /// <summary>Colour jitter: brightness, contrast, saturation, hue.</summary>
    Color,
    /// <summary>Gaussian blur with standard deviation σ (pixels).</summary>
    Blur,
    /// <summary>Translation by (dx, dy) pixels.</summary>
    Translation,
    /// <summary>Random resized crop; parameters are the normalized box.</summary>
    Crop,
    /// <summary>Horizontal flip (0 or 1).</summary>
    Flip,
}
