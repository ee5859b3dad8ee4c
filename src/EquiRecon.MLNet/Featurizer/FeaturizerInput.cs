using System.Globalization;
using EquiRecon.MLNet.Images;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace EquiRecon.MLNet.Featurizer;

/// <summary>The input column types EquiRecon's featurizer accepts for an encoder of input size <c>S</c>, and their checks.</summary>
internal static class FeaturizerInput
{
    /// <summary>The accepted types, as written in schema errors.</summary>
    public static string Describe(int size) => string.Create(CultureInfo.InvariantCulture,
        $"Image<{size}, {size}> (e.g. from ResizeImages({size}, {size})) or Vector<Single, {VectorLength(size)}> (channels-first RGB in [0, 255], e.g. from ExtractPixels with its defaults)");

    /// <summary>Length of the float vector input, <c>3 · S · S</c>.</summary>
    public static int VectorLength(int size) => ImagePixels.Channels * size * size;

    /// <summary>Whether <paramref name="type"/> is an image of <c>S × S</c> pixels or a float vector of <c>3 · S · S</c> values.</summary>
    public static bool IsValid(DataViewType type, int size) => type switch
    {
        ImageDataViewType image => image.Height == size && image.Width == size,
        VectorDataViewType vector => vector.ItemType == NumberDataViewType.Single && vector.Size == VectorLength(size),
        _ => false,
    };

    /// <summary>Checks the input column of <paramref name="schema"/> and returns it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or has the wrong type; the message names the column, the expected and the actual type.</exception>
    public static DataViewSchema.Column Check(IExceptionContext ectx, DataViewSchema schema, string columnName, int size, string paramName)
    {
        var column = schema.GetColumnOrNull(columnName)
            ?? throw ectx.ExceptParam(paramName, $"Could not find input column '{columnName}' (expected {Describe(size)}).");
        if (!IsValid(column.Type, size))
            throw ectx.ExceptSchemaMismatch(paramName, "input", columnName, Describe(size), Actual(column.Type));
        return column;
    }

    /// <summary>Checks the input column of a schema shape (where vector sizes are unknown: those are checked by <c>Fit</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or has the wrong type; the message names the column, the expected and the actual type.</exception>
    public static void Check(IExceptionContext ectx, SchemaShape shape, string columnName, int size, string paramName)
    {
        if (!shape.TryFindColumn(columnName, out var column))
            throw ectx.ExceptParam(paramName, $"Could not find input column '{columnName}' (expected {Describe(size)}).");
        bool valid = column.Kind switch
        {
            SchemaShape.Column.VectorKind.Scalar => column.ItemType is ImageDataViewType image && image.Height == size && image.Width == size,
            SchemaShape.Column.VectorKind.Vector => column.ItemType == NumberDataViewType.Single,
            _ => false,
        };
        if (!valid)
            throw ectx.ExceptSchemaMismatch(paramName, "input", columnName, Describe(size), column.GetTypeString() ?? column.ItemType.ToString() ?? "?");
    }

    private static string Actual(DataViewType type) => type switch
    {
        ImageDataViewType { Height: <= 0 } => type + " (unknown size: add ResizeImages)",
        VectorDataViewType { Dimensions.Length: > 1 } vector => string.Create(CultureInfo.InvariantCulture, $"{vector} ({vector.Size} values)"),
        _ => type.ToString() ?? "?",
    };
}
