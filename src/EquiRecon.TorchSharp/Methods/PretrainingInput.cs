using EquiRecon.TorchSharp.Augment;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>One training step's input to <see cref="PretrainingModel"/>.</summary>
/// <param name="ViewA">View A, normalized, <c>(B, 3, H, W)</c>.</param>
/// <param name="ViewB">View B, normalized, <c>(B, 3, H, W)</c>.</param>
/// <param name="AugmentedA">How view A was made (its per-sample parameters).</param>
/// <param name="AugmentedB">How view B was made.</param>
/// <param name="Labels">Class labels <c>(B)</c> int64, or null for self-supervised methods.</param>
public sealed record PretrainingInput(Tensor ViewA, Tensor ViewB, AugmentedBatch AugmentedA, AugmentedBatch AugmentedB, Tensor? Labels);
