using EquiRecon.TorchSharp.Heads;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;

namespace EquiRecon.TorchSharp.Tests.Heads;

public sealed class HyperNetworkPredictorTests
{
    public HyperNetworkPredictorTests() => TorchNative.EnsureLoaded();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Prediction_is_the_hypernetwork_matrix_times_the_embedding(bool bias)
    {
        torch.manual_seed(1);
        using var scope = torch.NewDisposeScope();
        using var predictor = new HyperNetworkPredictor(embeddingDim: 5, parameterCount: 3, bias);
        var embedding = torch.randn(4, 5);
        var parameters = torch.randn(4, 3);
        var prediction = predictor.call(embedding, parameters);
        prediction.shape.Should().Equal(4, 5);

        var named = predictor.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var weight = named["hypernet.weight"]; // (D·D, P)
        for (var i = 0; i < 4; i++)
        {
            var flat = weight.matmul(parameters[i]);
            if (bias)
                flat = flat + named["hypernet.bias"];
            var matrix = flat.reshape(5, 5);
            torch.allclose(prediction[i], matrix.matmul(embedding[i]), atol: 1e-5).Should().BeTrue();
        }
    }

    [Fact]
    public void Without_a_bias_no_change_predicts_zero_and_with_one_it_does_not()
    {
        // The reason the SIE objective turns the bias on: its relative parameters are zero-centred.
        torch.manual_seed(3);
        using var scope = torch.NewDisposeScope();
        var embedding = torch.randn(2, 4);
        var noChange = torch.zeros(2, 2);
        using var linear = new HyperNetworkPredictor(4, 2, bias: false);
        linear.call(embedding, noChange).abs().max().item<float>().Should().Be(0);
        var p = torch.randn(2, 2);
        torch.allclose(linear.call(embedding, -p), -linear.call(embedding, p), atol: 1e-6).Should().BeTrue("W is odd in p");
        using var affine = new HyperNetworkPredictor(4, 2);
        affine.call(embedding, noChange).abs().max().item<float>().Should().BeGreaterThan(0);
    }

    [Fact]
    public void Parameter_names_are_pinned_and_the_gradient_is_nonzero()
    {
        torch.manual_seed(2);
        using var scope = torch.NewDisposeScope();
        using var predictor = new HyperNetworkPredictor(embeddingDim: 4, parameterCount: 2);
        predictor.named_parameters().Select(p => p.name).Should().Equal("hypernet.weight", "hypernet.bias");
        predictor.named_parameters().First().parameter.shape.Should().Equal(16, 2);
        predictor.named_parameters().Last().parameter.shape.Should().Equal(16);
        using var linear = new HyperNetworkPredictor(embeddingDim: 4, parameterCount: 2, bias: false);
        linear.named_parameters().Select(p => p.name).Should().Equal("hypernet.weight");

        var loss = (predictor.call(torch.randn(3, 4), torch.randn(3, 2)) - torch.randn(3, 4)).pow(2).mean();
        loss.backward();
        foreach (var (name, parameter) in predictor.named_parameters())
            parameter.grad!.abs().sum().item<float>().Should().BeGreaterThan(0, name);
    }

    [Fact]
    public void Invalid_sizes_and_shapes_are_rejected_with_clear_messages()
    {
        var zero = () => new HyperNetworkPredictor(0, 2);
        zero.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("embeddingDim");
        var noParams = () => new HyperNetworkPredictor(4, 0);
        noParams.Should().Throw<ArgumentOutOfRangeException>().WithParameterName("parameterCount");

        using var scope = torch.NewDisposeScope();
        using var predictor = new HyperNetworkPredictor(4, 2);
        var embedding = () => predictor.call(torch.randn(3, 5), torch.randn(3, 2));
        embedding.Should().Throw<ArgumentException>().WithMessage("*(B, 4)*[3, 5]*").WithParameterName("embedding");
        var parameters = () => predictor.call(torch.randn(3, 4), torch.randn(3, 3));
        parameters.Should().Throw<ArgumentException>().WithMessage("*(3, 2)*[3, 3]*").WithParameterName("transformParams");
        var batch = () => predictor.call(torch.randn(3, 4), torch.randn(2, 2));
        batch.Should().Throw<ArgumentException>().WithMessage("*(3, 2)*[2, 2]*");
    }
}
