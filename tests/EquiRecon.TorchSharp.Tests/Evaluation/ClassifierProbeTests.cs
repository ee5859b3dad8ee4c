using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Tests.Evaluation;

public sealed class ClassifierProbeTests
{
    public ClassifierProbeTests() => TorchNative.EnsureLoaded();

    /// <summary>Gaussian clusters around 4·e_c (well separated in angle and in distance).</summary>
    private static (Tensor X, Tensor Labels) Clusters(int perClass, int classes, int dim, long seed)
    {
        torch.manual_seed(seed);
        var labels = arange(classes, dtype: ScalarType.Int64).repeat_interleave(perClass);
        var centers = eye(classes, dim) * 4;
        var x = centers.index_select(0, labels) + randn(labels.shape[0], dim);
        var order = randperm(labels.shape[0]);
        return (x.index_select(0, order), labels.index_select(0, order));
    }

    [Theory]
    [InlineData(ProbeOptimizer.Adam, 1e-2)]
    [InlineData(ProbeOptimizer.Sgd, 0.1)]
    public void Linear_probe_separates_linearly_separable_classes(ProbeOptimizer optimizer, double lr)
    {
        using var scope = NewDisposeScope();
        var (x, labels) = Clusters(100, 3, 5, 21);
        var result = LinearClassifierProbe.Fit(x[..200], labels[..200], x[200..], labels[200..],
            new LinearProbeOptions { Epochs = 20, BatchSize = 32, LearningRate = lr, Optimizer = optimizer });
        result.Top1.Should().BeGreaterThan(0.9);
        result.Predictions.shape.Should().Equal(100);
    }

    [Theory]
    [InlineData(KnnVoting.Weighted)]
    [InlineData(KnnVoting.Majority)]
    public void Knn_classifies_clustered_data(KnnVoting voting)
    {
        using var scope = NewDisposeScope();
        var (x, labels) = Clusters(60, 4, 8, 22);
        var result = KnnClassifier.Evaluate(x[..160], labels[..160], x[160..], labels[160..], new KnnOptions { Voting = voting, BatchSize = 32 });
        result.Top1.Should().BeGreaterThan(0.9);
        result.Predictions.shape.Should().Equal(80);
    }

    [Fact]
    public void Knn_majority_vote_by_hand()
    {
        using var scope = NewDisposeScope();
        // Bank: two samples of class 0 along +x, one of class 1 along +y. The query (1, 0.1) has the two
        // class-0 samples and then the class-1 sample as neighbours; with k = 3 the majority is class 0.
        var bank = tensor(new float[,] { { 1, 0 }, { 2, 0.1f }, { 0, 1 } });
        var labels = tensor(new long[] { 0, 0, 1 });
        var query = tensor(new float[,] { { 1, 0.1f }, { 0.1f, 1 } });
        var predicted = KnnClassifier.Predict(bank, labels, query, new KnnOptions { K = 3, Voting = KnnVoting.Majority });
        predicted.data<long>().ToArray().Should().Equal(0, 0);
        var nearest = KnnClassifier.Predict(bank, labels, query, new KnnOptions { K = 1 });
        nearest.data<long>().ToArray().Should().Equal(0, 1);
    }

    [Fact]
    public void Negative_labels_are_rejected()
    {
        using var scope = NewDisposeScope();
        var act = () => KnnClassifier.Evaluate(zeros(3, 2), tensor(new long[] { 0, -1, 1 }), zeros(2, 2), tensor(new long[] { 0, 1 }));
        act.Should().Throw<ArgumentException>().WithMessage("*-1*");
    }
}
