using System.IO.Compression;
using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary>The featurizer round-trips through plain <c>mlContext.Model.Save</c> / <c>Load</c> with its encoder inside the zip.</summary>
public sealed class FeaturizerPersistenceTests
{
    private static readonly string[] Outputs = [EquiReconColumnNames.Invariant, EquiReconColumnNames.Equivariant, "Features"];

    [Fact]
    public void Save_then_Load_in_a_new_MLContext_gives_identical_outputs_without_the_model_file()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 5);
        var (zip, original) = FitAndSave(temp, paths);
        File.Delete(temp.File("tiny.zip"));

        var mlContext = new MLContext(seed: 2);
        var model = mlContext.Model.Load(zip, out _);
        var output = model.Transform(TinyModel.Data(mlContext, paths));

        foreach (string column in Outputs)
            TinyModel.ReadColumn(output, column).Should().BeEquivalentTo(original[column], o => o.WithStrictOrdering(), column);
    }

    [Fact]
    public void Load_in_a_child_process_gives_identical_outputs()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 4);
        var (zip, original) = FitAndSave(temp, paths);
        File.Delete(temp.File("tiny.zip"));

        var probe = ModelLoadProbe.RunColumns(zip, TinyModel.PathColumn, Outputs, paths);

        probe.LoadedBeforeLoad.Should().BeFalse();
        probe.LoadedAfterLoad.Should().BeTrue();
        foreach (string column in Outputs)
            probe.Columns[column].Should().BeEquivalentTo(original[column], o => o.WithStrictOrdering(), column);
    }

    [Fact]
    public void The_loaded_transformer_keeps_its_settings_and_embeds_the_model_file()
    {
        using var temp = new TempDir();
        var (zip, _) = FitAndSave(temp, TestImages.WriteSyntheticPngs(temp.Path, 1));
        byte[] modelFile = File.ReadAllBytes(temp.File("tiny.zip"));

        var model = new MLContext(seed: 3).Model.Load(zip, out _);

        var chain = model.Should().BeAssignableTo<TransformerChain<ITransformer>>().Subject;
        var featurizer = chain.LastTransformer.Should().BeOfType<EquiReconFeaturizerTransformer>().Subject;
        featurizer.InputColumnName.Should().Be(EquiReconColumnNames.Image);
        featurizer.InvariantColumnName.Should().Be(EquiReconColumnNames.Invariant);
        featurizer.EquivariantColumnName.Should().Be(EquiReconColumnNames.Equivariant);
        featurizer.FeaturesColumnName.Should().Be("Features");
        featurizer.BatchSize.Should().Be(3);
        featurizer.FallbackToCpu.Should().BeTrue();
        featurizer.InputSize.Should().Be(TinyModel.Size);
        featurizer.InvariantSize.Should().Be(TinyModel.Invariant);
        featurizer.EquivariantSize.Should().Be(TinyModel.Equivariant);
        featurizer.Manifest.Method.Should().Be("random");
        featurizer.Manifest.Provenance.Should().ContainKey("purpose");
        featurizer.Device.Should().Be("cpu");
        featurizer.GetModelFileBytes().Should().Equal(modelFile);

        using var archive = ZipFile.OpenRead(zip);
        archive.Entries.Should().Contain(e => e.FullName.EndsWith("/EncoderModel", StringComparison.Ordinal),
            "the model file travels inside the zip as a binary stream");
    }

    [Fact]
    public void A_damaged_embedded_model_file_fails_loading_with_a_message_naming_the_ML_NET_stream()
    {
        using var temp = new TempDir();
        var (zip, _) = FitAndSave(temp, TestImages.WriteSyntheticPngs(temp.Path, 1));
        // inside the model file's weights (stored, so the model file's CRC-32 catches it)
        SavedModelZip.Rewrite(zip, SavedModelZip.EncoderModelStream, bytes => bytes[bytes.Length / 2] ^= 0x01);

        var act = () => new MLContext(seed: 3).Model.Load(zip, out _);

        var thrown = act.Should().Throw<Exception>().Which;
        var messages = string.Join(" | ", Chain(thrown).Select(e => e.Message));
        messages.Should().Contain("embedded in this ML.NET model (stream 'EncoderModel'").And.Contain("CRC-32");
        Chain(thrown).Should().Contain(e => e is EquiRecon.TorchSharp.IO.ModelFileException);

        static IEnumerable<Exception> Chain(Exception? e)
        {
            for (; e is not null; e = e.InnerException)
                yield return e;
        }
    }

    [Fact]
    public void A_stream_declaring_a_huge_length_fails_as_truncated_without_allocating_that_length()
    {
        using var temp = new TempDir();
        var (zip, _) = FitAndSave(temp, TestImages.WriteSyntheticPngs(temp.Path, 1));
        // the blob's byte count, after its magic
        SavedModelZip.Rewrite(zip, SavedModelZip.EncoderModelStream, bytes => BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), int.MaxValue).Should().BeTrue());
        var before = GC.GetAllocatedBytesForCurrentThread();

        var act = () => new MLContext(seed: 3).Model.Load(zip, out _);

        act.Should().Throw<Exception>().Which.ToString().Should().Contain("'EncoderModel' is truncated");
        (GC.GetAllocatedBytesForCurrentThread() - before).Should().BeLessThan(512L << 20, "the declared 2 GiB are never allocated up front");
    }

    private static (string Zip, Dictionary<string, float[][]> Outputs) FitAndSave(TempDir temp, string[] paths)
    {
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);
        var options = new EquiReconFeaturizerOptions { ModelFile = modelFile, FeaturesColumnName = "Features", BatchSize = 3, FallbackToCpu = true };
        var model = TinyModel.Pipeline(mlContext, options).Fit(data);
        var output = model.Transform(data);
        var outputs = Outputs.ToDictionary(c => c, c => TinyModel.ReadColumn(output, c));
        string zip = temp.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        return (zip, outputs);
    }
}
