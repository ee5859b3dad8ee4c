using EquiRecon.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace EquiRecon.MLNet;

/// <summary>
/// EquiRecon's transforms, reached as <c>mlContext.Transforms.EquiRecon()</c> (see
/// <see cref="EquiReconCatalogExtensions.EquiRecon(TransformsCatalog)"/>).
/// </summary>
/// <remarks>
/// Every transformer created here round-trips through <c>mlContext.Model.Save</c> / <c>mlContext.Model.Load</c>
/// like ML.NET's own components, with its state inside the model zip.
/// </remarks>
public sealed partial class EquiReconCatalog
{
    private readonly IHostEnvironment _env;

    internal EquiReconCatalog(IHostEnvironment env)
    {
        ArgumentNullException.ThrowIfNull(env);
        _env = env;
    }

    /// <summary>
    /// Normalizes the pixels of a fixed-size image column into a float vector column <c>(3, H, W)</c>
    /// flattened (channels first, R, G, B), each value <c>(pixel / 255 - mean[c]) / std[c]</c> with the
    /// CIFAR-10 statistics (<see cref="NormalizeImagePixelsOptions.Cifar10Mean"/>, <see cref="NormalizeImagePixelsOptions.Cifar10Std"/>).
    /// </summary>
    /// <param name="outputColumnName">Name of the float vector column to add. Default <c>"Pixels"</c>.</param>
    /// <param name="inputColumnName">Name of the image column, of known size (e.g. the output of <c>ResizeImages</c>). Default <c>"Image"</c>.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <example>
    /// <code>
    /// var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder, "ImagePath")
    ///     .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
    ///     .Append(mlContext.Transforms.EquiRecon().NormalizeImagePixels("Pixels", "Image"));
    /// </code>
    /// </example>
    public NormalizeImagePixelsEstimator NormalizeImagePixels(
        string outputColumnName = EquiReconColumnNames.Pixels,
        string inputColumnName = EquiReconColumnNames.Image)
        => NormalizeImagePixels(new NormalizeImagePixelsOptions { OutputColumnName = outputColumnName, InputColumnName = inputColumnName });

    /// <summary>
    /// Normalizes the pixels of a fixed-size image column into a float vector column <c>(3, H, W)</c>
    /// flattened, with the column names and per-channel statistics of <paramref name="options"/>.
    /// </summary>
    /// <param name="options">Column names and per-channel mean/std; see <see cref="NormalizeImagePixelsOptions"/> for the defaults.</param>
    /// <returns>The estimator; its transformer saves and loads with <c>mlContext.Model</c>.</returns>
    /// <exception cref="ArgumentException">An option is invalid (empty column name, mean/std without 3 finite values, std not positive).</exception>
    public NormalizeImagePixelsEstimator NormalizeImagePixels(NormalizeImagePixelsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NormalizeImagePixelsEstimator(_env, options);
    }
}

/// <summary>Entry point to EquiRecon's transforms from an <see cref="MLContext"/>.</summary>
public static class EquiReconCatalogExtensions
{
    /// <summary>EquiRecon's transforms: <c>mlContext.Transforms.EquiRecon()</c>.</summary>
    /// <param name="catalog">The transforms catalog of an <see cref="MLContext"/>.</param>
    /// <returns>The catalog of EquiRecon transforms bound to the same environment.</returns>
    public static EquiReconCatalog EquiRecon(this TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new EquiReconCatalog(catalog.GetEnvironment());
    }
}
