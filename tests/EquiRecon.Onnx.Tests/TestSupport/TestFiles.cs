using EquiRecon.Onnx;

namespace EquiRecon.Onnx.Tests;

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "equirecon-onnx-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>ML.NET's ONNX files (copied to the test output by the package) and the shared image data.</summary>
internal static class TestFiles
{
    /// <summary>The copies under the test output's <c>DnnImageModels/</c>.</summary>
    public static (string Model, string Preprocess) MlNet => MlNetResNet18Import.LocateFiles(AppContext.BaseDirectory);

    /// <summary>Imagenette (160 px) test split: <c>shared/data/imagenette-160/test</c> above the test binaries, or null.</summary>
    public static string? ImagenetteTest => Find(Path.Combine("shared", "data", "imagenette-160", "test"));

    /// <summary>CIFAR-10 test split as image folders: <c>shared/data/cifar10/test</c> above the test binaries, or null.</summary>
    public static string? Cifar10Test => Find(Path.Combine("shared", "data", "cifar10", "test"));

    private static string? Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (Directory.Exists(candidate))
                return candidate;
        }
        return null;
    }
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
