using EquiRecon.Onnx;

namespace EquiRecon.Onnx.Tests;

/// <summary>ML.NET's ONNX files (copied to the test output by the package) and the shared image data.</summary>
internal static class TestFiles
{
    /// <summary>The copies under the test output's <c>DnnImageModels/</c>.</summary>
    public static (string Model, string Preprocess) MlNet => MlNetResNet18Import.LocateFiles(AppContext.BaseDirectory);

    /// <summary>Imagenette (160 px) test split: <c>shared/data/imagenette-160/test</c> above the test binaries, or null.</summary>
    public static string? ImagenetteTest => SharedDataFolder.Find("imagenette-160", "test");

    /// <summary>CIFAR-10 test split as image folders: <c>shared/data/cifar10/test</c> above the test binaries, or null.</summary>
    public static string? Cifar10Test => SharedDataFolder.Find("cifar10", "test");
}

/// <summary>A fact that is skipped (with the reason shown) when <c>shared/data/imagenette-160/test</c> is absent.</summary>
public sealed class ImagenetteFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public ImagenetteFactAttribute()
    {
        if (TestFiles.ImagenetteTest is null)
            Skip = "shared/data/imagenette-160/test was not found above " + AppContext.BaseDirectory;
    }
}

/// <summary>A fact that is skipped (with the reason shown) when <c>shared/data/cifar10/test</c> is absent.</summary>
public sealed class CifarFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is absent.</summary>
    public CifarFactAttribute()
    {
        if (TestFiles.Cifar10Test is null)
            Skip = "shared/data/cifar10/test was not found above " + AppContext.BaseDirectory;
    }
}
