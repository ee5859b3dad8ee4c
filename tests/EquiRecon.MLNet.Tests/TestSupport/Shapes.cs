using System.Reflection;
using Microsoft.ML;

namespace EquiRecon.MLNet.Tests.TestSupport;

/// <summary>Schema shapes for estimator tests (ML.NET's <c>SchemaShape.Create</c> is internal).</summary>
internal static class Shapes
{
    private static readonly MethodInfo Create = typeof(SchemaShape).GetMethod(
        "Create", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic, [typeof(DataViewSchema)])
        ?? throw new MissingMethodException(nameof(SchemaShape), "Create");

    public static SchemaShape Of(DataViewSchema schema) => (SchemaShape)Create.Invoke(null, [schema])!;
}
