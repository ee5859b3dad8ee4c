using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace EquiRecon.MLNet.Probes;

/// <summary>
/// Schema checks of image columns shared by the probe and the segmentation adapter: the messages name the column,
/// its role, the expected type and the actual one (ML.NET's schema-mismatch exception, an
/// <see cref="ArgumentOutOfRangeException"/>).
/// </summary>
internal static class ImageColumnChecks
{
    /// <summary>The expected type of an image column, for messages: <c>Image&lt;H, W&gt;</c> or "Image of known size".</summary>
    public static string Expected(int? height, int? width)
        => height is { } h && width is { } w
            ? string.Create(CultureInfo.InvariantCulture, $"Image<{h}, {w}> (ImageDataViewType({h}, {w}), e.g. from ResizeImages)")
            : "Image of known size (ImageDataViewType(height, width), e.g. from ResizeImages)";

    /// <summary>Checks an image column of a <see cref="SchemaShape"/>; returns its size.</summary>
    public static (int Height, int Width) Check(IExceptionContext? host, string paramName, SchemaShape schema, string role,
        string columnName, int? height = null, int? width = null)
    {
        if (!schema.TryFindColumn(columnName, out var column))
            throw Missing(host, paramName, role, columnName, height, width);
        return Check(host, paramName, role, columnName, column.ItemType, column.Kind == SchemaShape.Column.VectorKind.Scalar,
            column.GetTypeString() ?? "?", height, width);
    }

    /// <summary>Checks an image column of a <see cref="DataViewSchema"/>; returns the column.</summary>
    public static DataViewSchema.Column Check(IExceptionContext? host, string paramName, DataViewSchema schema, string role,
        string columnName, int? height = null, int? width = null)
    {
        var column = schema.GetColumnOrNull(columnName) ?? throw Missing(host, paramName, role, columnName, height, width);
        Check(host, paramName, role, columnName, column.Type, isScalar: true, column.Type.ToString() ?? "?", height, width);
        return column;
    }

    private static (int Height, int Width) Check(IExceptionContext? host, string paramName, string role, string columnName,
        DataViewType itemType, bool isScalar, string actual, int? height, int? width)
    {
        string expected = Expected(height, width);
        if (!isScalar || itemType is not ImageDataViewType image)
            throw Mismatch(host, paramName, role, columnName, expected, actual);
        if (image.Height <= 0 || image.Width <= 0)
            throw Mismatch(host, paramName, role, columnName, expected + "; add ResizeImages first", actual + " (unknown size)");
        if ((height is { } h && image.Height != h) || (width is { } w && image.Width != w))
            throw Mismatch(host, paramName, role, columnName, expected, actual);
        return (image.Height, image.Width);
    }

    private static Exception Missing(IExceptionContext? host, string paramName, string role, string columnName, int? height, int? width)
        => host is null
            ? Contracts.ExceptParam(paramName, $"Could not find {role} column '{columnName}' (expected {Expected(height, width)}).")
            : host.ExceptParam(paramName, $"Could not find {role} column '{columnName}' (expected {Expected(height, width)}).");

    /// <summary>ML.NET's schema-mismatch exception, through <paramref name="host"/> when there is one.</summary>
    public static Exception Mismatch(IExceptionContext? host, string paramName, string role, string columnName, string expected, string actual)
        => host is null
            ? Contracts.ExceptSchemaMismatch(paramName, role, columnName, expected, actual)
            : host.ExceptSchemaMismatch(paramName, role, columnName, expected, actual);
}
