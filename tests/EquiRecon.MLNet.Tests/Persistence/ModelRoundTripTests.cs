using System.IO.Compression;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Tests.Persistence;

/// <summary>
/// Route 3: EquiRecon transformers round-trip through plain <c>mlContext.Model.Save</c> / <c>Load</c>, in this
/// process with a new <see cref="MLContext"/> and in a fresh child process, with no registration call.
/// </summary>
public sealed class ModelRoundTripTests
{
    private static readonly NormalizeImagePixelsOptions CustomOptions = new()
    {
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
    };

    [Fact]
    public void Save_then_Load_in_a_new_MLContext_gives_identical_outputs()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 5);

        var (zip, original) = FitAndSave(temp, paths);
        var reloaded = LoadAndTransform(zip, paths);

        reloaded.Should().HaveCount(original.Length);
        for (int i = 0; i < original.Length; i++)
            reloaded[i].Should().Equal(original[i], $"row {i}");
    }

    [Fact]
    public void Load_in_a_child_process_gives_identical_outputs_without_any_registration()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 5);
        var (zip, original) = FitAndSave(temp, paths);

        var probe = ModelLoadProbe.Run(zip, PixelPipeline.PathColumn, EquiReconColumnNames.Pixels, paths);

        probe.LoadedBeforeLoad.Should().BeFalse("the probe never touches an EquiRecon type before Model.Load");
        probe.LoadedAfterLoad.Should().BeTrue("ML.NET loads EquiRecon.MLNet by the assembly name recorded in the zip");
        probe.Rows.Should().HaveCount(original.Length);
        for (int i = 0; i < original.Length; i++)
            probe.Rows[i].Should().Equal(original[i], $"row {i}");
    }

    [Cifar10Fact]
    public void Twenty_cifar10_jpegs_round_trip_through_a_new_MLContext_and_a_child_process()
    {
        using var temp = new TempDir();
        var paths = SharedData.Cifar10TestImages(10, "airplane", "cat").ToArray();
        paths.Should().HaveCount(20);
        var (zip, original) = FitAndSave(temp, paths);

        var reloaded = LoadAndTransform(zip, paths);
        var probe = ModelLoadProbe.Run(zip, PixelPipeline.PathColumn, EquiReconColumnNames.Pixels, paths);

        for (int i = 0; i < original.Length; i++)
        {
            reloaded[i].Should().Equal(original[i], $"in-process row {i}");
            probe.Rows[i].Should().Equal(original[i], $"child-process row {i}");
        }
    }

    [Fact]
    public void The_loaded_transformer_keeps_its_settings()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 1);
        var (zip, _) = FitAndSave(temp, paths);

        var model = new MLContext(seed: 2).Model.Load(zip, out var inputSchema);

        inputSchema[PixelPipeline.PathColumn].Type.Should().Be(TextDataViewType.Instance);
        var chain = model.Should().BeAssignableTo<TransformerChain<ITransformer>>().Subject;
        var normalize = chain.LastTransformer.Should().BeOfType<NormalizeImagePixelsTransformer>().Subject;
        normalize.ImageHeight.Should().Be(PixelPipeline.Size);
        normalize.ImageWidth.Should().Be(PixelPipeline.Size);
        normalize.Mean.Should().Equal(CustomOptions.Mean);
        normalize.Std.Should().Equal(CustomOptions.Std);
        normalize.InputColumnName.Should().Be(EquiReconColumnNames.Image);
        normalize.OutputColumnName.Should().Be(EquiReconColumnNames.Pixels);
    }

    [Fact]
    public void The_zip_stores_the_normalization_as_a_binary_stream_beside_the_component()
    {
        using var temp = new TempDir();
        var (zip, _) = FitAndSave(temp, TestImages.WriteSyntheticPngs(temp.Path, 1));

        using var archive = ZipFile.OpenRead(zip);
        var entry = archive.Entries.SingleOrDefault(e => e.FullName.EndsWith("/Normalization", StringComparison.Ordinal));

        entry.Should().NotBeNull("SaveBinaryStream writes a 'Normalization' entry; entries: "
            + string.Join(", ", archive.Entries.Select(e => e.FullName)));
        string modelKey = entry!.FullName[..^"Normalization".Length] + "Model.key";
        archive.Entries.Select(e => e.FullName).Should().Contain(modelKey);
        // Magic (4) + length (4) + 6 floats (24).
        entry.Length.Should().Be(32);
    }

    [Fact]
    public void A_row_mapper_from_the_loaded_model_gives_identical_outputs()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 3);
        var (zip, original) = FitAndSave(temp, paths);
        var mlContext = new MLContext(seed: 3);
        var model = mlContext.Model.Load(zip, out _);

        using var engine = mlContext.Model.CreatePredictionEngine<PixelPipeline.ImageInput, PixelPipeline.PixelsOutput>(model);

        for (int i = 0; i < paths.Length; i++)
            engine.Predict(new PixelPipeline.ImageInput { ImagePath = paths[i] }).Pixels.Should().Equal(original[i], $"row {i}");
    }

    [Fact]
    public void Every_loadable_class_of_the_assembly_resolves_in_ML_NETs_catalog()
    {
        var mlContext = new MLContext(seed: 1);

        var register = () => mlContext.ComponentCatalog.RegisterAssembly(typeof(NormalizeImagePixelsTransformer).Assembly);

        register.Should().NotThrow("each [assembly: LoadableClass] must name a loader ML.NET can find");
    }

    private static (string Zip, float[][] Outputs) FitAndSave(TempDir temp, IReadOnlyList<string> paths)
    {
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, paths);
        var model = PixelPipeline.Create(mlContext, CustomOptions).Fit(data);
        string zip = temp.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        return (zip, PixelPipeline.ReadColumn(model.Transform(data)));
    }

    private static float[][] LoadAndTransform(string zip, IReadOnlyList<string> paths)
    {
        var mlContext = new MLContext(seed: 2);
        var model = mlContext.Model.Load(zip, out _);
        return PixelPipeline.ReadColumn(model.Transform(PixelPipeline.Data(mlContext, paths)));
    }
}
