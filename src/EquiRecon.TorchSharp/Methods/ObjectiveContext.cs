using EquiRecon.TorchSharp.Encoders;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>What an objective needs to know about the encoder and the data to build its heads.</summary>
/// <param name="Split">The encoder's invariant / equivariant split.</param>
/// <param name="ImageSize">Side of the square training images in pixels.</param>
/// <param name="TokenGrid">Side of the encoder's token map at <paramref name="ImageSize"/> (N = TokenGrid²).</param>
/// <param name="Classes">Number of classes in the data (0 when unlabeled).</param>
public sealed record ObjectiveContext(RepresentationSplit Split, int ImageSize, int TokenGrid, int Classes);
