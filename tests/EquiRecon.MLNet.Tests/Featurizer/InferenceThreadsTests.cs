using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Tests.TestSupport;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

namespace EquiRecon.MLNet.Tests.Featurizer;

/// <summary><c>InferenceThreads</c>: validated, saved with the model, and scoped to each forward pass.</summary>
public sealed class InferenceThreadsTests
{
    [Fact]
    public void The_default_is_one_thread_and_a_count_below_one_is_refused()
    {
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();

        catalog.FeaturizeImage().Options.InferenceThreads.Should().Be(1);
        catalog.Invoking(c => c.FeaturizeImage(new EquiReconFeaturizerOptions { InferenceThreads = 0 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(EquiReconFeaturizerOptions.InferenceThreads));
        catalog.Invoking(c => c.Pretrain(new EquiRecon.MLNet.Pretraining.EquiReconPretrainingOptions { InferenceThreads = -1 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName(nameof(EquiReconFeaturizerOptions.InferenceThreads));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(null)]
    public void The_setting_is_saved_with_the_model(int? threads)
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.equirecon"));
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var model = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, InferenceThreads = threads }).Fit(data);
        string zip = temp.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        var loaded = (TransformerChain<ITransformer>)new MLContext(seed: 2).Model.Load(zip, out _);

        loaded.LastTransformer.Should().BeOfType<EquiReconFeaturizerTransformer>().Which.InferenceThreads.Should().Be(threads);
    }

    [Fact]
    public void A_pass_leaves_the_calling_threads_libtorch_setting_as_it_was()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.equirecon"));
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 3));
        var model = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, InferenceThreads = 1 }).Fit(data);
        int original = torch.get_num_threads();
        try
        {
            torch.set_num_threads(2);

            var features = TinyModel.ReadColumn(model.Transform(data), EquiReconColumnNames.Invariant);

            features.Should().HaveCount(3);
            torch.get_num_threads().Should().Be(2, "the pass ran with 1 thread and restored this thread's 2");
        }
        finally
        {
            torch.set_num_threads(original);
        }
    }
}
