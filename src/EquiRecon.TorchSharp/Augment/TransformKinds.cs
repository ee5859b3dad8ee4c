namespace EquiRecon.TorchSharp.Augment;

/// <summary>
/// What is said about each <see cref="TransformKind"/> outside its augmentation: its short name (the <c>sie-&lt;name&gt;</c>
/// methods, the CLI's <c>--probes</c> and report columns), the order kinds are listed in, and its parameters (count and
/// names, from the kind's augmentation at its default range, <see cref="AugmentationPipeline.Default(int, TransformKind[])"/>).
/// The sampler and the relative parameters live in the kind's <see cref="IAugmentation"/>.
/// </summary>
public static class TransformKinds
{
    /// <summary>Every kind, in the order they are listed (methods, probes, reports): rotation, colour, blur, translation, crop, flip.</summary>
    public static IReadOnlyList<TransformKind> All { get; } = Array.AsReadOnly(
        [TransformKind.Rotation, TransformKind.Color, TransformKind.Blur, TransformKind.Translation, TransformKind.Crop, TransformKind.Flip]);

    /// <summary>The short name of <paramref name="kind"/>: <c>rot</c>, <c>color</c>, <c>blur</c>, <c>trans</c>, <c>crop</c> or <c>flip</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a defined kind.</exception>
    public static string Name(TransformKind kind) => kind switch
    {
        TransformKind.Rotation => "rot",
        TransformKind.Color => "color",
        TransformKind.Blur => "blur",
        TransformKind.Translation => "trans",
        TransformKind.Crop => "crop",
        TransformKind.Flip => "flip",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown transformation kind."),
    };

    /// <summary>The kind whose short name is <paramref name="name"/> (<see cref="Name"/>), if any.</summary>
    public static bool TryParse(string? name, out TransformKind kind)
    {
        foreach (var k in All)
        {
            if (string.Equals(Name(k), name, StringComparison.Ordinal))
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>Names of the parameters of <paramref name="kind"/> at images of <paramref name="imageSize"/> pixels, in output order.</summary>
    public static IReadOnlyList<string> ParameterNames(TransformKind kind, int imageSize)
        => AugmentationPipeline.Default(imageSize, kind).StepOf(kind)!.ParameterNames;

    /// <summary>Number of parameters <c>k</c> of <paramref name="kind"/> at images of <paramref name="imageSize"/> pixels.</summary>
    public static int ParameterCount(TransformKind kind, int imageSize) => ParameterNames(kind, imageSize).Count;
}
