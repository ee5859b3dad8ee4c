using EquiRecon.MLNet.Tests.TestSupport;
using EquiRecon.MLNet.Transforms;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace EquiRecon.MLNet.Tests.Transforms;

public sealed class NormalizeImagePixelsTests
{
    private const float Tolerance = 1e-5f;

    [Cifar10Fact]
    public void Outputs_match_a_direct_computation_from_twenty_cifar10_jpegs()
    {
        var paths = SharedData.Cifar10TestImages(10, "airplane", "cat");
        paths.Should().HaveCount(20);
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, paths);

        var model = PixelPipeline.Create(mlContext).Fit(data);
        var rows = PixelPipeline.ReadColumn(model.Transform(data));

        rows.Should().HaveCount(20);
        for (int i = 0; i < paths.Count; i++)
        {
            var expected = TestImages.ExpectedPixels(paths[i], NormalizeImagePixelsOptions.Cifar10Mean, NormalizeImagePixelsOptions.Cifar10Std);
            rows[i].Should().Equal(expected, (a, e) => Math.Abs(a - e) <= Tolerance, $"image {paths[i]}");
        }
    }

    [Fact]
    public void Outputs_match_the_exact_pixels_of_lossless_images_with_custom_statistics()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 3);
        var options = new NormalizeImagePixelsOptions { Mean = [0.5f, 0.25f, 0f], Std = [0.5f, 1f, 2f] };
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, paths);

        var rows = PixelPipeline.ReadColumn(PixelPipeline.Create(mlContext, options).Fit(data).Transform(data));

        rows.Should().HaveCount(3);
        // Pixel (y=1, x=2) of image 1: r = 2*8 + 1 = 17, g = 1*8 + 3 = 11, b = 2*1 + 7 = 9.
        int at = (1 * 32) + 2, plane = 32 * 32;
        rows[1][at].Should().BeApproximately(((17 / 255f) - 0.5f) / 0.5f, Tolerance);
        rows[1][plane + at].Should().BeApproximately(((11 / 255f) - 0.25f) / 1f, Tolerance);
        rows[1][(2 * plane) + at].Should().BeApproximately(((9 / 255f) - 0f) / 2f, Tolerance);
        for (int i = 0; i < paths.Length; i++)
            rows[i].Should().Equal(TestImages.ExpectedPixels(paths[i], options.Mean, options.Std), (a, e) => Math.Abs(a - e) <= Tolerance);
    }

    [Fact]
    public void Output_column_is_a_known_size_float_vector_in_schema_and_schema_shape()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var estimator = PixelPipeline.Create(mlContext);

        var shape = estimator.GetOutputSchema(Shapes.Of(data.Schema));
        var column = shape.Single(c => c.Name == EquiReconColumnNames.Pixels);
        column.Kind.Should().Be(SchemaShape.Column.VectorKind.Vector);
        column.ItemType.Should().Be(NumberDataViewType.Single);

        var schema = estimator.Fit(data).GetOutputSchema(data.Schema);
        schema[EquiReconColumnNames.Pixels].Type.Should().Be(new VectorDataViewType(NumberDataViewType.Single, PixelPipeline.OutputLength));
    }

    [Fact]
    public void PredictionEngine_gives_the_same_outputs_as_the_batched_transform()
    {
        using var temp = new TempDir();
        var paths = TestImages.WriteSyntheticPngs(temp.Path, 4);
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, paths);
        var model = PixelPipeline.Create(mlContext).Fit(data);
        var batched = PixelPipeline.ReadColumn(model.Transform(data));

        using var engine = mlContext.Model.CreatePredictionEngine<PixelPipeline.ImageInput, PixelPipeline.PixelsOutput>(model);
        for (int i = 0; i < paths.Length; i++)
        {
            var single = engine.Predict(new PixelPipeline.ImageInput { ImagePath = paths[i] });
            single.Pixels.Should().Equal(batched[i], $"row {i}");
        }
    }

    [Fact]
    public void Bgra32_and_Rgba32_images_with_the_same_colours_give_the_same_output()
    {
        // One 2x3 image: pixel k has R = 10k, G = 100 + k, B = 250 - k.
        const int h = 2, w = 3;
        byte[] rgba = new byte[h * w * 4], bgra = new byte[h * w * 4];
        for (int k = 0; k < h * w; k++)
        {
            byte r = (byte)(10 * k), g = (byte)(100 + k), b = (byte)(250 - k);
            (rgba[4 * k], rgba[(4 * k) + 1], rgba[(4 * k) + 2], rgba[(4 * k) + 3]) = (r, g, b, 255);
            (bgra[4 * k], bgra[(4 * k) + 1], bgra[(4 * k) + 2], bgra[(4 * k) + 3]) = (b, g, r, 255);
        }

        float[] fromRgba = NormalizeInMemory(MLImage.CreateFromPixels(w, h, MLPixelFormat.Rgba32, rgba));
        float[] fromBgra = NormalizeInMemory(MLImage.CreateFromPixels(w, h, MLPixelFormat.Bgra32, bgra));

        var mean = NormalizeImagePixelsOptions.Cifar10Mean;
        var std = NormalizeImagePixelsOptions.Cifar10Std;
        var expected = new float[3 * h * w];
        for (int k = 0; k < h * w; k++)
        {
            expected[k] = TestImages.Normalize((byte)(10 * k), mean[0], std[0]);
            expected[(h * w) + k] = TestImages.Normalize((byte)(100 + k), mean[1], std[1]);
            expected[(2 * h * w) + k] = TestImages.Normalize((byte)(250 - k), mean[2], std[2]);
        }

        fromRgba.Should().Equal(expected, (a, e) => Math.Abs(a - e) <= Tolerance);
        fromBgra.Should().Equal(fromRgba);
    }

    [Fact]
    public void A_missing_input_column_fails_at_GetOutputSchema_and_Fit_naming_the_column()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var source = PixelPipeline.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var data = mlContext.Transforms.LoadImages("Image", null, PixelPipeline.PathColumn)
            .Append(mlContext.Transforms.ResizeImages("Image", 32, 32))
            .Fit(source)
            .Transform(source);
        var estimator = mlContext.Transforms.EquiRecon().NormalizeImagePixels("Pixels", "Picture");

        var atSchema = () => estimator.GetOutputSchema(Shapes.Of(data.Schema));
        var atFit = () => estimator.Fit(data);

        atSchema.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Could not find input column 'Picture' (expected Image of known size*");
        atFit.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Could not find input column 'Picture' (expected Image of known size*");
    }

    [Fact]
    public void A_column_of_the_wrong_type_fails_at_GetOutputSchema_and_Fit_naming_column_and_expected_type()
    {
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, ["a.png"]);
        var estimator = mlContext.Transforms.EquiRecon().NormalizeImagePixels("Pixels", PixelPipeline.PathColumn);

        var atSchema = () => estimator.GetOutputSchema(Shapes.Of(data.Schema));
        var atFit = () => estimator.Fit(data);

        atSchema.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*column 'ImagePath'*expected Image of known size*got String*");
        atFit.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*column 'ImagePath'*expected Image of known size*got String*");
    }

    [Fact]
    public void An_image_of_unknown_size_fails_at_GetOutputSchema_and_Fit_asking_for_ResizeImages()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var loaded = mlContext.Transforms.LoadImages("Image", null, PixelPipeline.PathColumn).Fit(data).Transform(data);
        var estimator = mlContext.Transforms.EquiRecon().NormalizeImagePixels();

        var atSchema = () => estimator.GetOutputSchema(Shapes.Of(loaded.Schema));
        var atFit = () => estimator.Fit(loaded);
        var inChain = () => mlContext.Transforms.LoadImages("Image", null, PixelPipeline.PathColumn).Append(estimator).Fit(data);

        atSchema.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*column 'Image'*add ResizeImages*unknown size*");
        atFit.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*column 'Image'*add ResizeImages*unknown size*");
        inChain.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*column 'Image'*add ResizeImages*");
    }

    [Fact]
    public void A_fitted_transformer_rejects_images_of_another_size_at_GetOutputSchema()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var transformer = PixelPipeline.Create(mlContext).Fit(data);
        var normalize = transformer.Should().BeAssignableTo<IEnumerable<ITransformer>>().Subject.Last().Should().BeOfType<NormalizeImagePixelsTransformer>().Subject;
        var sixteen = mlContext.Transforms.LoadImages("Image", null, PixelPipeline.PathColumn)
            .Append(mlContext.Transforms.ResizeImages("Image", 16, 16)).Fit(data).Transform(data);

        var act = () => normalize.GetOutputSchema(sixteen.Schema);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("*column 'Image'*expected Image<32, 32>*got Image<16, 16>*");
    }

    [Fact]
    public void A_fitted_transformer_rejects_data_without_its_input_column_at_Transform()
    {
        using var temp = new TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = PixelPipeline.Data(mlContext, TestImages.WriteSyntheticPngs(temp.Path, 1));
        var normalize = ((IEnumerable<ITransformer>)PixelPipeline.Create(mlContext).Fit(data)).Last();

        var act = () => normalize.Transform(data);

        act.Should().Throw<ArgumentOutOfRangeException>().WithMessage("Could not find input column 'Image' (expected Image<32, 32>)*");
    }

    [Fact]
    public void Invalid_options_are_rejected_with_the_option_named()
    {
        var catalog = new MLContext(seed: 1).Transforms.EquiRecon();

        var twoMeans = () => catalog.NormalizeImagePixels(new NormalizeImagePixelsOptions { Mean = [0.5f, 0.5f] });
        var zeroStd = () => catalog.NormalizeImagePixels(new NormalizeImagePixelsOptions { Std = [0.2f, 0f, 0.2f] });
        var noOutput = () => catalog.NormalizeImagePixels(outputColumnName: " ");

        twoMeans.Should().Throw<ArgumentException>().WithParameterName("Mean");
        zeroStd.Should().Throw<ArgumentException>().WithParameterName("Std");
        noOutput.Should().Throw<ArgumentException>().WithParameterName("OutputColumnName");
    }

    [Fact]
    public void Catalog_defaults_are_the_documented_ones()
    {
        var estimator = new MLContext(seed: 1).Transforms.EquiRecon().NormalizeImagePixels();

        estimator.Options.OutputColumnName.Should().Be("Pixels");
        estimator.Options.InputColumnName.Should().Be("Image");
        estimator.Options.Mean.Should().Equal(0.4914f, 0.4822f, 0.4465f);
        estimator.Options.Std.Should().Equal(0.2470f, 0.2435f, 0.2616f);
    }

    private static float[] NormalizeInMemory(MLImage image)
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new InMemoryImage { Image = image } });
        var transformed = mlContext.Transforms.EquiRecon().NormalizeImagePixels().Fit(data).Transform(data);
        return PixelPipeline.ReadColumn(transformed).Single();
    }

    private sealed class InMemoryImage
    {
        [ImageType(2, 3)]
        public MLImage? Image { get; set; }
    }
}
