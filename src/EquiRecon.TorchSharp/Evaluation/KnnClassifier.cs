using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>
/// k-nearest-neighbour classifier on cosine similarity: features are L2-normalised, similarities come from one
/// matrix multiply per batch of queries, and the k most similar training samples vote (majority or
/// <c>exp(sim / T)</c>-weighted). Runs on the features' device.
/// </summary>
public static class KnnClassifier
{
    /// <summary>Classifies the test features by their neighbours in the training features and scores top-1 accuracy.</summary>
    /// <param name="trainX">Training (bank) features, shape <c>(N, d)</c>, floating point.</param>
    /// <param name="trainLabels">Training labels, shape <c>(N)</c>, int64 in <c>[0, K)</c>.</param>
    /// <param name="testX">Query features, shape <c>(M, d)</c>.</param>
    /// <param name="testLabels">Query labels, shape <c>(M)</c>, int64.</param>
    /// <param name="options">Options; null for the defaults (k = 20, weighted vote, T = 0.07).</param>
    /// <returns>Top-1 accuracy and the predicted labels.</returns>
    public static ClassificationResult Evaluate(Tensor trainX, Tensor trainLabels, Tensor testX, Tensor testLabels, KnnOptions? options = null)
    {
        options ??= new KnnOptions();
        options.Validate();
        ProbeChecks.Features(testX, nameof(testX));
        ProbeChecks.Labels(testX, testLabels, nameof(testX), nameof(testLabels));
        ProbeChecks.Features(trainX, nameof(trainX));
        ProbeChecks.Labels(trainX, trainLabels, nameof(trainX), nameof(trainLabels));
        var classes = ProbeChecks.ClassCount(trainLabels, testLabels, options.NumClasses);
        using var scope = NewDisposeScope();
        var predictions = Predict(trainX, trainLabels, testX, options with { NumClasses = classes });
        var top1 = LinearClassifierProbe.Accuracy(predictions, testLabels.to(predictions.device));
        return new ClassificationResult(top1, predictions.MoveToOuterDisposeScope());
    }

    /// <summary>Predicts the class of every query from its k most cosine-similar training samples.</summary>
    /// <param name="trainX">Training (bank) features, shape <c>(N, d)</c>.</param>
    /// <param name="trainLabels">Training labels, shape <c>(N)</c>, int64 ≥ 0.</param>
    /// <param name="queries">Query features, shape <c>(M, d)</c>.</param>
    /// <param name="options">Options; null for the defaults.</param>
    /// <returns>Predicted labels, shape <c>(M)</c>, int64, on the training features' device.</returns>
    public static Tensor Predict(Tensor trainX, Tensor trainLabels, Tensor queries, KnnOptions? options = null)
    {
        options ??= new KnnOptions();
        options.Validate();
        ProbeChecks.Features(trainX, nameof(trainX));
        ProbeChecks.Labels(trainX, trainLabels, nameof(trainX), nameof(trainLabels));
        ProbeChecks.Features(queries, nameof(queries));
        ProbeChecks.SameWidth(trainX, queries, nameof(trainX), nameof(queries));
        var classes = ProbeChecks.ClassCount(trainLabels, trainLabels, options.NumClasses);

        using var scope = NewDisposeScope();
        var device = trainX.device;
        var bank = nn.functional.normalize(trainX.detach().to(ScalarType.Float32), dim: 1);
        var bankT = bank.t();
        var labels = trainLabels.to(device);
        var k = (int)Math.Min(options.K, bank.shape[0]);
        var results = new List<Tensor>();
        for (long start = 0; start < queries.shape[0]; start += options.BatchSize)
        {
            var size = Math.Min(options.BatchSize, queries.shape[0] - start);
            var q = nn.functional.normalize(queries.narrow(0, start, size).detach().to(ScalarType.Float32, device), dim: 1);
            var (similarity, index) = q.matmul(bankT).topk(k, dim: 1);
            var neighbourLabels = labels.index_select(0, index.reshape(-1)).reshape(size, k);
            var weights = options.Voting == KnnVoting.Weighted
                ? (similarity / options.Temperature).exp()
                : ones_like(similarity);
            var votes = zeros([size, classes], dtype: weights.dtype, device: device).scatter_add_(1, neighbourLabels, weights);
            results.Add(votes.argmax(1));
        }
        return cat(results, 0).MoveToOuterDisposeScope();
    }
}
