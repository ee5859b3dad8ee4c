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

    [Fact]
    public void Packed_packages_install_into_a_new_console_project_and_featurize_an_image()
    {
        using var temp = new TempDir();
        using var feed = new LocalPackageFeed(temp, TorchSharpProject, MLNetProject);
        foreach (string id in new[] { "EquiRecon.TorchSharp", "EquiRecon.MLNet" })
            feed.Entries(id).Should().Contain(["icon.png", "README.md", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"]);

        string image = TestImages.WriteSyntheticPngs(temp.Path, 1)[0];
        string stdout = feed.RunConsoleApp(temp.File("app"), ["EquiRecon.MLNet"], FeaturizeProgram.Replace("ENCODER_ARGUMENT", "", StringComparison.Ordinal), image, "32");

        File.WriteAllBytes(temp.File("default.equirecon"), DefaultEncoder.ReadBytes());
        ShouldMatchRawForward(stdout, temp.File("default.equirecon"), image, "the installed package featurizes like this build");
    }

    [Fact]
    public void The_natural_image_package_installs_beside_the_libraries_and_featurizes_a_photo()
    {
        using var temp = new TempDir();
        using var feed = new LocalPackageFeed(temp, TorchSharpProject, MLNetProject, NaturalImageProject);
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
