using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Transforms.Image;

namespace EquiRecon.MLNet.Transforms;

/// <summary>
/// <see cref="IEstimator{TTransformer}"/> for the <see cref="NormalizeImagePixelsTransformer"/>: the input stage
/// of EquiRecon's encoders. Turns an image column of fixed size <c>(H, W)</c> into a float vector column
/// <c>(3, H, W)</c> flattened, channels first in R, G, B order, each value <c>(pixel / 255 - mean[c]) / std[c]</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
///
/// ###  Estimator Characteristics
/// |  |  |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No (it reads the image size from the schema) |
/// | Input column data type | <xref:Microsoft.ML.Transforms.Image.ImageDataViewType> of known size, for example the output of `ResizeImages` |
/// | Output column data type | Known-sized vector of <xref:System.Single>, `3 · H · W` values in `(3, H, W)` order |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.ImageAnalytics, EquiRecon.MLNet |
/// | Exportable to ONNX | No |
///
/// The resulting transformer saves with `mlContext.Model.Save` and loads with `mlContext.Model.Load`
/// in a new process with no registration call. Images in Bgra32 or Rgba32 pixel format are read; alpha is
/// dropped. An image column of unknown size (straight from `LoadImages`) is rejected by
/// <xref:Microsoft.ML.IEstimator`1.GetOutputSchema(Microsoft.ML.SchemaShape)> and `Fit`: add `ResizeImages` first.
///
/// Create it with `mlContext.Transforms.EquiRecon().NormalizeImagePixels(...)`.
/// ]]>
/// </format>
/// </remarks>
public sealed class NormalizeImagePixelsEstimator : IEstimator<NormalizeImagePixelsTransformer>
{
    private const string RegistrationName = "EquiReconNormalizeImagePixelsEstimator";

    private readonly IHost _host;
    private readonly NormalizeImagePixelsOptions _options;

    internal NormalizeImagePixelsEstimator(IHostEnvironment env, NormalizeImagePixelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _host = env.Register(RegistrationName);
        _options = options;
    }

    /// <summary>The settings the estimator was created with.</summary>
    public NormalizeImagePixelsOptions Options => _options;

    /// <summary>
    /// Checks the input schema and creates the transformer for the image size it declares (no pass over the data).
    /// </summary>
    /// <param name="input">Data with the input image column, of known size.</param>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, is not an image, or is an image of
    /// unknown size; the message names the column and the expected type.</exception>
    public NormalizeImagePixelsTransformer Fit(IDataView input)
    {
        _host.CheckValue(input, nameof(input));
        var column = input.Schema.GetColumnOrNull(_options.InputColumnName)
            ?? throw MissingColumn(nameof(input));
        var (height, width) = CheckImageType(nameof(input), column.Type, isScalar: true, column.Type.ToString() ?? "?");
        return new NormalizeImagePixelsTransformer(_host, _options, height, width);
    }

    /// <summary>
    /// The schema after the transformer: the input columns plus the output column, a known-size vector of
    /// <see cref="float"/> (replacing any input column of the same name).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing, is not an image, or is an image of
    /// unknown size; the message names the column and the expected type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        _host.CheckValue(inputSchema, nameof(inputSchema));
        if (!inputSchema.TryFindColumn(_options.InputColumnName, out var column))
            throw MissingColumn(nameof(inputSchema));
        CheckImageType(nameof(inputSchema), column.ItemType, column.Kind == SchemaShape.Column.VectorKind.Scalar, column.GetTypeString() ?? "?");

        var result = inputSchema.ToDictionary(c => c.Name, StringComparer.Ordinal);
        result[_options.OutputColumnName] = new SchemaShape.Column(_options.OutputColumnName,
            SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, isKey: false);
        return new SchemaShape(result.Values);
    }

    private const string ExpectedType = "Image of known size (ImageDataViewType(height, width), e.g. from ResizeImages)";

    private Exception MissingColumn(string paramName)
        => _host.ExceptParam(paramName, $"Could not find input column '{_options.InputColumnName}' (expected {ExpectedType}).");

    /// <summary>Returns the image size of an acceptable input type, or throws a schema-mismatch exception naming the column.</summary>
    private (int Height, int Width) CheckImageType(string paramName, DataViewType itemType, bool isScalar, string actualType)
    {
        if (!isScalar || itemType is not ImageDataViewType image)
            throw _host.ExceptSchemaMismatch(paramName, "input", _options.InputColumnName, ExpectedType, actualType);
        if (image.Height <= 0 || image.Width <= 0)
        {
            throw _host.ExceptSchemaMismatch(paramName, "input", _options.InputColumnName,
                ExpectedType + "; add ResizeImages before NormalizeImagePixels", actualType + " (unknown size)");
        }

        return (image.Height, image.Width);
    }
}
