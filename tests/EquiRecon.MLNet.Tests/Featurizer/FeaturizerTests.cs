using EquiRecon.MLNet.Featurizer;
using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.TorchSharp.IO;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace EquiRecon.MLNet.Tests.Featurizer;

public sealed class FeaturizerTests
{
    private const float Tolerance = 1e-5f;

    [Fact]
    public void Outputs_are_the_split_pooled_representation_of_a_raw_encoder_forward()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 5);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);

        var output = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, FeaturesColumnName = "Features" }).Fit(data).Transform(data);
        var invariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Invariant);
        var equivariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Equivariant);
        var features = TinyModel.ReadColumn(output, "Features");

        var expected = TinyModel.RawForward(modelFile, paths);
        TinyModel.ShouldMatch(invariant, expected.Select(r => r[..TinyModel.Invariant]).ToArray(), Tolerance, "invariant = first channels");
        TinyModel.ShouldMatch(equivariant, expected.Select(r => r[TinyModel.Invariant..]).ToArray(), Tolerance, "equivariant = last channels");
        TinyModel.ShouldMatch(features, expected, Tolerance, "features = whole representation");
        invariant.SelectMany(r => r).Should().OnlyContain(v => float.IsFinite(v));
        invariant[0].Should().NotEqual(invariant[1], "different images give different features");
    }

    [Fact]
    public void Output_columns_are_known_size_float_vectors_in_schema_and_schema_shape()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var estimator = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, InvariantColumnName = "Inv", EquivariantColumnName = "Eqv" });

        var shape = estimator.GetOutputSchema(Shapes.Of(data.Schema));
        foreach (string name in new[] { "Inv", "Eqv" })
        {
            var column = shape.Single(c => c.Name == name);
            column.Kind.Should().Be(SchemaShape.Column.VectorKind.Vector);
            column.ItemType.Should().Be(NumberDataViewType.Single);
        }

        shape.Select(c => c.Name).Should().NotContain(["Invariant", "Equivariant", "Features"]);
        var model = estimator.Fit(data);
        var schema = model.GetOutputSchema(data.Schema);
        schema["Inv"].Type.Should().Be(new VectorDataViewType(NumberDataViewType.Single, TinyModel.Invariant));
        schema["Eqv"].Type.Should().Be(new VectorDataViewType(NumberDataViewType.Single, TinyModel.Equivariant));
        model.Transform(data).Schema.Select(c => (c.Name, c.Type)).Should().Equal(schema.Select(c => (c.Name, c.Type)),
            "the batched data view has the schema GetOutputSchema announces");
    }

    [Fact]
    public void PredictionEngine_gives_the_same_outputs_as_the_batched_transform_across_partial_batches()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 7);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);
        var model = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, BatchSize = 3 }).Fit(data);
        var output = model.Transform(data);
        var invariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Invariant);
        var equivariant = TinyModel.ReadColumn(output, EquiReconColumnNames.Equivariant);

        using var engine = mlContext.Model.CreatePredictionEngine<TinyModel.ImageInput, TinyModel.FeaturesOutput>(model);
        var predictions = paths.Select(p => engine.Predict(new TinyModel.ImageInput { ImagePath = p })).ToArray();

        TinyModel.ShouldMatch(predictions.Select(p => p.Invariant).ToArray(), invariant, Tolerance, "per-row invariant");
        TinyModel.ShouldMatch(predictions.Select(p => p.Equivariant).ToArray(), equivariant, Tolerance, "per-row equivariant");
    }

    [Fact]
    public void Batch_size_does_not_change_the_outputs_and_passthrough_columns_stay_aligned()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 5);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);

        var one = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, BatchSize = 1 }).Fit(data).Transform(data);
        var many = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, BatchSize = 64 }).Fit(data).Transform(data);

        TinyModel.ShouldMatch(TinyModel.ReadColumn(many, EquiReconColumnNames.Invariant), TinyModel.ReadColumn(one, EquiReconColumnNames.Invariant), Tolerance, "batch 64 vs batch 1");
        var rows = mlContext.Data.CreateEnumerable<PathAndFeatures>(many, reuseRowObject: false).ToArray();
        rows.Select(r => r.ImagePath).Should().Equal(paths);
        TinyModel.ShouldMatch(rows.Select(r => r.Invariant).ToArray(), TinyModel.RawForward(modelFile, paths).Select(r => r[..TinyModel.Invariant]).ToArray(),
            Tolerance, "each row's features belong to its own image");
    }

    [Fact]
    public void A_shuffled_cursor_keeps_each_row_with_its_own_features()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 6);
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(paths.Select(p => new TinyModel.ImageInput { ImagePath = p }).ToList());
        var output = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, BatchSize = 4 }).Fit(data).Transform(data);
        var expected = TinyModel.RawForward(modelFile, paths);
        output.CanShuffle.Should().Be(data.CanShuffle);

        var pathColumn = output.Schema[TinyModel.PathColumn];
        var invariantColumn = output.Schema[EquiReconColumnNames.Invariant];
        using var cursor = output.GetRowCursor([pathColumn, invariantColumn], new Random(3));
        var getPath = cursor.GetGetter<ReadOnlyMemory<char>>(pathColumn);
        var getInvariant = cursor.GetGetter<VBuffer<float>>(invariantColumn);
        ReadOnlyMemory<char> path = default;
        VBuffer<float> invariant = default;
        var order = new List<int>();
        while (cursor.MoveNext())
        {
            getPath(ref path);
            getInvariant(ref invariant);
            int index = Array.IndexOf(paths, path.ToString());
            order.Add(index);
            invariant.DenseValues().Should().Equal(expected[index][..TinyModel.Invariant], (a, e) => Math.Abs(a - e) <= Tolerance, $"row of {path}");
        }

        order.Should().BeEquivalentTo(Enumerable.Range(0, paths.Length));
    }

    [Fact]
    public void One_PredictionEngine_per_thread_runs_concurrently_with_the_same_outputs()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 4);
        var mlContext = new MLContext(seed: 1);
        var model = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile }).Fit(TinyModel.Data(mlContext, paths));
        var expected = TinyModel.RawForward(modelFile, paths).Select(r => r[..TinyModel.Invariant]).ToArray();

        var results = new float[4][][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            using var engine = mlContext.Model.CreatePredictionEngine<TinyModel.ImageInput, TinyModel.FeaturesOutput>(model);
            results[t] = Enumerable.Range(0, 3).SelectMany(_ => paths)
                .Select(p => engine.Predict(new TinyModel.ImageInput { ImagePath = p }).Invariant.ToArray())
                .ToArray();
        });

        foreach (var rows in results)
            TinyModel.ShouldMatch(rows, [.. expected, .. expected, .. expected], Tolerance, "each thread's engine");
        var data = TinyModel.Data(mlContext, paths);
        TinyModel.ShouldMatch(TinyModel.ReadColumn(model.Transform(data), EquiReconColumnNames.Invariant), expected, Tolerance,
            "disposing the engines leaves the shared transformer usable");
    }

    [Fact]
    public void ExtractPixels_vectors_give_the_same_features_as_images()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 3);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, paths);

        var fromImages = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile }).Fit(data).Transform(data);
        var fromPixels = TinyModel.Images(mlContext)
            .Append(mlContext.Transforms.ExtractPixels("RawPixels", EquiReconColumnNames.Image))
            .Append(mlContext.Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { ModelFile = modelFile, InputColumnName = "RawPixels" }))
            .Fit(data).Transform(data);

        TinyModel.ShouldMatch(TinyModel.ReadColumn(fromPixels, EquiReconColumnNames.Invariant), TinyModel.ReadColumn(fromImages, EquiReconColumnNames.Invariant), Tolerance, "vector input, invariant");
        TinyModel.ShouldMatch(TinyModel.ReadColumn(fromPixels, EquiReconColumnNames.Equivariant), TinyModel.ReadColumn(fromImages, EquiReconColumnNames.Equivariant), Tolerance, "vector input, equivariant");
    }

    [Fact]
    public void The_batched_cursor_reads_exactly_one_batch_ahead()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 2);
        var mlContext = new MLContext(seed: 1);
        int highest = -1;
        IEnumerable<TinyModel.ImageInput> Stream()
        {
            for (int i = 0; i < 40; i++)
            {
                highest = Math.Max(highest, i);
                yield return new TinyModel.ImageInput { ImagePath = paths[i % 2] };
            }
        }

        var data = mlContext.Data.LoadFromEnumerable(Stream());
        var output = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, BatchSize = 8 }).Fit(data).Transform(data);
        var column = output.Schema[EquiReconColumnNames.Invariant];
        using var cursor = output.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> value = default;
        int rows = 0;
        while (cursor.MoveNext())
        {
            getter(ref value);
            int batchEnd = Math.Min((((int)cursor.Position / 8) + 1) * 8, 40);
            highest.Should().Be(batchEnd - 1, $"row {cursor.Position}: its whole batch, and nothing after it, has been read");
            rows++;
        }

        rows.Should().Be(40);
    }

    [Fact]
    public void An_input_that_does_not_replay_its_rows_fails_clearly()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 1);
        var mlContext = new MLContext(seed: 1);
        int enumerations = 0;
        IEnumerable<TinyModel.ImageInput> Shrinking()
        {
            int count = enumerations++ == 0 ? 4 : 2;
            for (int i = 0; i < count; i++)
                yield return new TinyModel.ImageInput { ImagePath = paths[0] };
        }

        var model = TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile, BatchSize = 2 }).Fit(TinyModel.Data(mlContext, paths));
        enumerations = 0;
        var output = model.Transform(mlContext.Data.LoadFromEnumerable(Shrinking()));

        var act = () => TinyModel.ReadColumn(output, EquiReconColumnNames.Invariant);

        act.Should().Throw<InvalidOperationException>().WithMessage("*replays its rows identically*AppendCacheCheckpoint*");
    }

    [Fact]
    public void A_missing_image_gives_NaN_features()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 2);
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, [paths[0], "", paths[1]]);

        var rows = TinyModel.ReadColumn(TinyModel.Pipeline(mlContext, new() { ModelFile = modelFile }).Fit(data).Transform(data), EquiReconColumnNames.Invariant);

        rows[1].Should().OnlyContain(v => float.IsNaN(v));
        rows[0].Concat(rows[2]).Should().OnlyContain(v => float.IsFinite(v));
    }

    [Fact]
    public void Schema_errors_name_the_column_and_the_expected_type()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var mlContext = new MLContext(seed: 1);
        var data = TinyModel.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var featurizer = mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile);
        var wrongColumn = mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile, inputColumnName: "Photo");
        var textColumn = mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile, inputColumnName: TinyModel.PathColumn);

        var images16 = TinyModel.Images(mlContext, 16).Fit(data).Transform(data);
        var unsized = mlContext.Transforms.LoadImages(EquiReconColumnNames.Image, null, TinyModel.PathColumn).Fit(data).Transform(data);
        var pixels16 = mlContext.Transforms.ExtractPixels("Pixels16", EquiReconColumnNames.Image).Fit(images16).Transform(images16);
        var vector16 = mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile, inputColumnName: "Pixels16");

        const string expected = "*Image<32, 32>*Vector<Single, 3072>*";
        AssertSchemaError(() => wrongColumn.Fit(images16), "*Photo*" + expected);
        AssertSchemaError(() => wrongColumn.GetOutputSchema(Shapes.Of(images16.Schema)), "*Photo*" + expected);
        AssertSchemaError(() => textColumn.Fit(data), $"*{TinyModel.PathColumn}*" + expected + "String*");
        AssertSchemaError(() => textColumn.GetOutputSchema(Shapes.Of(data.Schema)), $"*{TinyModel.PathColumn}*" + expected);
        AssertSchemaError(() => featurizer.Fit(images16), "*Image*" + expected + "Image<16, 16>*");
        AssertSchemaError(() => featurizer.GetOutputSchema(Shapes.Of(images16.Schema)), "*Image*" + expected);
        AssertSchemaError(() => featurizer.Fit(unsized), "*Image*" + expected + "unknown size*");
        AssertSchemaError(() => vector16.Fit(pixels16), "*Pixels16*" + expected + "Vector<Single, 3, 16, 16> (768 values)*");

        var model = featurizer.Fit(TinyModel.Images(mlContext).Fit(data).Transform(data));
        AssertSchemaError(() => model.Transform(images16), "*Image*" + expected);
        AssertSchemaError(() => model.GetOutputSchema(images16.Schema), "*Image*" + expected);
    }

    [Fact]
    public void Invalid_options_and_model_files_fail_when_the_estimator_is_created()
    {
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();

        catalog.Invoking(c => c.FeaturizeImage(new EquiReconFeaturizerOptions { ModelFile = modelFile, BatchSize = 0 }))
            .Should().Throw<ArgumentOutOfRangeException>().WithParameterName("batchSize");
        catalog.Invoking(c => c.FeaturizeImage(new EquiReconFeaturizerOptions { ModelFile = modelFile, FeaturesColumnName = EquiReconColumnNames.Invariant }))
            .Should().Throw<ArgumentException>().WithMessage("*distinct*");
        catalog.Invoking(c => c.FeaturizeImage(temp.File("missing.zip")))
            .Should().Throw<ModelFileException>().WithMessage("*not found*missing.zip*");
        File.WriteAllText(temp.File("not-a-model.zip"), "hello");
        catalog.Invoking(c => c.FeaturizeImage(temp.File("not-a-model.zip")))
            .Should().Throw<ModelFileException>().WithMessage("*not-a-model.zip*");
    }

    [Fact]
    public void GpuDeviceId_without_CUDA_throws_unless_falling_back_to_the_CPU()
    {
        if (torch.cuda.is_available())
            return; // The failure path needs a machine without CUDA.
        using var temp = new TempDir();
        string modelFile = TinyModel.Write(temp.File("tiny.zip"));
        var mlContext = new MLContext(seed: 1) { GpuDeviceId = 0, FallbackToCpu = false };
        var data = TinyModel.Images(mlContext).Fit(TinyModel.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1)));
        var images = data.Transform(TinyModel.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1)));

        var strict = () => mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile).Fit(images);
        strict.Should().Throw<InvalidOperationException>().WithMessage("*GpuDeviceId is 0*CUDA is not available*FallbackToCpu*");

        var messages = new List<string>();
        mlContext.Log += (_, e) => messages.Add(e.Message);
        var fallback = mlContext.Transforms.EquiRecon().FeaturizeImage(new EquiReconFeaturizerOptions { ModelFile = modelFile, FallbackToCpu = true }).Fit(images);
        fallback.Device.Should().Be("cpu");
        TinyModel.ReadColumn(fallback.Transform(images), EquiReconColumnNames.Invariant).Should().ContainSingle();
        messages.Should().Contain(m => m.Contains("running on the CPU", StringComparison.Ordinal));

        mlContext.FallbackToCpu = true;
        var inherited = mlContext.Transforms.EquiRecon().FeaturizeImage(modelFile).Fit(images);
        inherited.Device.Should().Be("cpu");
    }

    private static void AssertSchemaError(Action act, string pattern)
        => act.Should().Throw<ArgumentOutOfRangeException>().WithMessage(pattern);

    private sealed class PathAndFeatures
    {
        public string ImagePath { get; set; } = "";

        [VectorType(TinyModel.Invariant)]
        public float[] Invariant { get; set; } = [];
    }
}
