using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.Models.NaturalImage;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.MLNet.Tests.Packaging;

/// <summary>
/// The packages as a user gets them (<see cref="LocalPackageFeed"/>): packed into a local folder feed under a unique
/// version, installed into a new console project outside the repository, built and run there.
/// </summary>
public sealed class PackageInstallTests
{
    private const string TorchSharpProject = "src/EquiRecon.TorchSharp/EquiRecon.TorchSharp.csproj";
    private const string OnnxProject = "src/EquiRecon.Onnx/EquiRecon.Onnx.csproj";
    private const string MLNetProject = "src/EquiRecon.MLNet/EquiRecon.MLNet.csproj";
    private const string NaturalImageProject = "src/EquiRecon.Models.NaturalImage/EquiRecon.Models.NaturalImage.csproj";

    /// <summary>The console app: featurizes the image at args[0] (resized to args[1] px) and prints both parts.
    /// <c>ENCODER_ARGUMENT</c> is replaced by the <c>FeaturizeImage</c> arguments.</summary>
    private const string FeaturizeProgram = """
        using System.Globalization;
        using EquiRecon.MLNet;
        using EquiRecon.TorchSharp.IO;
        using Microsoft.ML;
        using Microsoft.ML.Data;

        var mlContext = new MLContext();
        int size = int.Parse(args[1], CultureInfo.InvariantCulture);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new Input { ImagePath = args[0] } });
        var pipeline = mlContext.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
            .Append(mlContext.Transforms.ResizeImages("Image", size, size))
            .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(ENCODER_ARGUMENT));
        var output = pipeline.Fit(data).Transform(data);
        foreach (var column in new[] { "Invariant", "Equivariant" })
        {
            var values = output.GetColumn<float[]>(column).Single();
            Console.WriteLine(column.ToLowerInvariant() + ": " + string.Join(' ', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }

        sealed class Input
        {
            public string ImagePath { get; set; } = "";
        }
        """;

    /// <summary>The install-size target of a linux-x64 consumer app (issue 18): its build output stays under this.</summary>
    private const long LinuxX64AppBudgetBytes = 600L << 20;

    [Fact]
    public void Packed_packages_install_into_a_new_console_project_and_featurize_an_image()
    {
        using var temp = new TempDir();
        // Built for this machine's platform only, as the README recommends (<RuntimeIdentifier>): one libtorch, not three.
        string rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        using var feed = new LocalPackageFeed(temp, TorchSharpProject, OnnxProject, MLNetProject) { RuntimeIdentifier = rid };
        foreach (string id in new[] { "EquiRecon.TorchSharp", "EquiRecon.Onnx", "EquiRecon.MLNet" })
        {
            feed.Entries(id).Should().Contain(["icon.png", "README.md", "LICENSE", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"]);
            ShouldDocumentOnlyPublicTypes(feed, id);
        }

        string image = TestImages.WriteSyntheticPngs(temp.Path, 1)[0];
        string stdout = feed.RunConsoleApp(temp.File("app"), ["EquiRecon.MLNet"], FeaturizeProgram.Replace("ENCODER_ARGUMENT", "", StringComparison.Ordinal), image, "32");
        var output = new DirectoryInfo(Path.Combine(temp.File("app"), "bin", "Release", "net10.0", rid));
        long bytes = output.EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        Console.WriteLine($"consumer app for {rid}: build output {bytes / (1 << 20)} MiB");
        if (rid == "linux-x64")
            bytes.Should().BeLessThan(LinuxX64AppBudgetBytes, "a linux-x64 app carries only linux-x64's libtorch");

        File.WriteAllBytes(temp.File("default.equirecon"), DefaultEncoder.ReadBytes());
        ShouldMatchRawForward(stdout, temp.File("default.equirecon"), image, "the installed package featurizes like this build");
    }

    [Fact]
    public void The_natural_image_package_installs_beside_the_libraries_and_featurizes_a_photo()
    {
        using var temp = new TempDir();
        using var feed = new LocalPackageFeed(temp, TorchSharpProject, OnnxProject, MLNetProject, NaturalImageProject);
        const string id = "EquiRecon.Models.NaturalImage";
        feed.Entries(id).Should().Contain(["icon.png", "README.md", "NOTICE.txt", "LICENSE", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"]);
        new FileInfo(feed.Package(id)).Length.Should().BeGreaterThan(10_000_000, "the model file is inside");
        new FileInfo(feed.Package("EquiRecon.TorchSharp")).Length.Should().BeLessThan(10_000_000, "the core packages stay small");

        string photo = NaturalImages.WritePhotoPng(temp.Path);
        string stdout = feed.RunConsoleApp(temp.File("app"), ["EquiRecon.MLNet", id],
            FeaturizeProgram.Replace("ENCODER_ARGUMENT", "builtInEncoder: BuiltInEncoder.NaturalImage", StringComparison.Ordinal), photo, "128");

        File.WriteAllBytes(temp.File("natural.equirecon"), NaturalImageEncoder.ReadBytes());
        ShouldMatchRawForward(stdout, temp.File("natural.equirecon"), photo, "the installed natural-image package featurizes like this build");
    }

    /// <summary>
    /// The libtorch-free consumer: an app that references EquiRecon.MLNet and Microsoft.ML.OnnxRuntime but no TorchSharp
    /// backend package featurizes a PNG with <c>Runtime = OnnxRuntime</c>; no libtorch file is in its build output, no
    /// native torch library is loaded in its process, and its features equal the TorchSharp path's.
    /// </summary>
    [Fact]
    public void An_app_without_a_TorchSharp_backend_featurizes_with_ONNX_Runtime()
    {
        using var temp = new TempDir();
        using var feed = new LocalPackageFeed(temp, TorchSharpProject, OnnxProject, MLNetProject);
        string image = TestImages.WriteSyntheticPngs(temp.Path, 1)[0];
        string app = temp.File("app");
        string program = FeaturizeProgram.Replace("ENCODER_ARGUMENT", "runtime: InferenceRuntime.OnnxRuntime", StringComparison.Ordinal)
            .Replace("sealed class Input", NativeTorchCheck + "\nsealed class Input", StringComparison.Ordinal);
        string stdout = feed.RunConsoleApp(app, ["EquiRecon.MLNet"], new Dictionary<string, string> { ["Microsoft.ML.OnnxRuntime"] = EquiRecon.MLNet.Runtime.OnnxSessions.OnnxRuntimeVersion }, program, image, "32");

        stdout.Should().Contain("native torch libraries loaded: none");
        stdout.Should().MatchRegex("torchsharp runtime: .*needs TorchSharp's native backend.*TorchSharp-cpu.*Runtime = OnnxRuntime",
            "Runtime = TorchSharp without a backend says what to add and names the ONNX Runtime route");
        var output = new DirectoryInfo(Path.Combine(app, "bin", "Release", "net10.0"));
        output.EnumerateFiles("*", SearchOption.AllDirectories).Select(f => f.Name)
            .Should().NotContain(n => n.StartsWith("libtorch", StringComparison.Ordinal) || n.StartsWith("libc10", StringComparison.Ordinal), "no TorchSharp backend is referenced");
        File.WriteAllBytes(temp.File("default.equirecon"), DefaultEncoder.ReadBytes());
        ShouldMatchRawForward(stdout, temp.File("default.equirecon"), image, "ONNX Runtime without libtorch featurizes like TorchSharp");
    }

    /// <summary>Appended to the app's top-level statements: prints the native torch libraries its process loaded.</summary>
    private const string NativeTorchCheck = """
        var torchModules = System.Diagnostics.Process.GetCurrentProcess().Modules.Cast<System.Diagnostics.ProcessModule>()
            .Select(m => m.ModuleName ?? "")
            .Where(n => n.StartsWith("libtorch", StringComparison.Ordinal) || n.StartsWith("libc10", StringComparison.Ordinal) || n.Contains("LibTorchSharp", StringComparison.Ordinal))
            .ToArray();
        Console.WriteLine("native torch libraries loaded: " + (torchModules.Length == 0 ? "none" : string.Join(", ", torchModules)));
        try
        {
            pipeline = mlContext.Transforms.LoadImages("Image", imageFolder: null, "ImagePath")
                .Append(mlContext.Transforms.ResizeImages("Image", size, size))
                .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(runtime: InferenceRuntime.TorchSharp));
            pipeline.Fit(data);
            Console.WriteLine("torchsharp runtime: no error");
        }
        catch (InvalidOperationException e)
        {
            Console.WriteLine("torchsharp runtime: " + e.Message.ReplaceLineEndings(" "));
        }

        """;

    /// <summary>Every type the package's XML documentation describes is public in the package's assembly.</summary>
    private static void ShouldDocumentOnlyPublicTypes(LocalPackageFeed feed, string id)
    {
        var assembly = System.Reflection.Assembly.Load(id);
        var visible = assembly.GetTypes().ToDictionary(t => t.FullName!.Replace('+', '.'), t => t.IsVisible, StringComparer.Ordinal);
        var documented = feed.Documentation(id).Descendants("member")
            .Select(m => (string?)m.Attribute("name") ?? "")
            .Where(n => n.StartsWith("T:", StringComparison.Ordinal))
            .Select(n => n[2..])
            .ToArray();
        documented.Should().NotBeEmpty();
        documented.Where(n => !visible.TryGetValue(n, out var isVisible) || !isVisible)
            .Should().BeEmpty($"package {id}'s IntelliSense file documents the public surface only");
    }

    private static void ShouldMatchRawForward(string stdout, string modelFile, string image, string because)
    {
        float[] invariant = LocalPackageFeed.ParseVector(stdout, "invariant:");
        float[] equivariant = LocalPackageFeed.ParseVector(stdout, "equivariant:");
        float[] expected = TinyModel.RawForward(modelFile, [image])[0];
        invariant.Length.Should().Be(ModelFile.ReadManifest(modelFile).Encoder.InvariantChannels);
        TinyModel.ShouldMatch([invariant], [expected[..invariant.Length]], 1e-4f, because);
        TinyModel.ShouldMatch([equivariant], [expected[invariant.Length..]], 1e-4f, because);
    }
}
