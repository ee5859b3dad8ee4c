using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.IO;

namespace EquiRecon.Cli.Running;

/// <summary>
/// The images a budget's probes read, the same for every row of a table (and for <c>evaluate --budget</c>): the
/// pretraining images, the probe-train / probe-test images of the transformation probes (disjoint, from the test
/// split, which no row pretrains on) and the classification probes' training images (from the training split;
/// they are scored on every test image read).
/// </summary>
internal sealed class ProbeImages : IDisposable
{
    private ProbeImages(ImageDataset pretraining, ImageDataset test, ImageDataset probeTrain, ImageDataset probeTest, ImageDataset classifierTrain)
    {
        Pretraining = pretraining;
        Test = test;
        ProbeTrain = probeTrain;
        ProbeTest = probeTest;
        ClassifierTrain = classifierTrain;
    }

    /// <summary>The budget's pretraining images (class-balanced from the training split).</summary>
    public ImageDataset Pretraining { get; }

    /// <summary>Every test-split image read; the classification probes are scored on them.</summary>
    public ImageDataset Test { get; }

    /// <summary>Images of the transformation probes' training pairs.</summary>
    public ImageDataset ProbeTrain { get; }

    /// <summary>Images of the transformation probes' test pairs.</summary>
    public ImageDataset ProbeTest { get; }

    /// <summary>Training images of the classification probes.</summary>
    public ImageDataset ClassifierTrain { get; }

    /// <summary>Reads the images of <paramref name="budget"/> from <paramref name="dataPath"/>.</summary>
    public static ProbeImages Read(string dataPath, Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var disposables = new List<IDisposable>();
        try
        {
            var train = DataSources.ReadSplit(dataPath, train: true, budget.ImageSize, budget.TrainImages);
            disposables.Add(train);
            var test = DataSources.ReadSplit(dataPath, train: false, budget.ImageSize, budget.TestImages);
            disposables.Add(test);
            if (test.Count < budget.TestImages)
                throw new CliException($"Option '--data': the test split has {test.Count} images; budget '{budget.Name}' needs {budget.TestImages} ({budget.ProbeTrainPairs} probe-train + {budget.ProbeTestPairs} probe-test pairs).");
            var (probeTrain, probeTest) = DataSources.RandomSplit(test, budget.ProbeTrainPairs, seed: 0);
            disposables.Add(probeTrain);
            disposables.Add(probeTest);
            var classifierTrain = DataSources.RandomSubset(train, budget.ClassifierTrainImages, seed: 0);
            return new ProbeImages(train, test, probeTrain, probeTest, classifierTrain);
        }
        catch
        {
            foreach (var d in disposables)
                d.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ClassifierTrain.Dispose();
        ProbeTest.Dispose();
        ProbeTrain.Dispose();
        Test.Dispose();
        Pretraining.Dispose();
    }
}

/// <summary>
/// The one home of the tables' evaluation protocol: which probes run on which images with which settings, for
/// <c>reproduce</c> and <c>evaluate --budget</c> alike (the papers' protocol; sizes from the <see cref="Budget"/>).
/// </summary>
internal static class BudgetProtocol
{
    /// <summary>
    /// The version written into each row's <c>evaluation.json</c>; <c>reproduce --resume</c> re-evaluates a row scored under
    /// another one. 2: the papers' probe protocol (pairs of test-split images, cosine schedule, every representation part).
    /// </summary>
    public const string Version = "2";

    /// <summary>The transformations the tables probe, in column order.</summary>
    public static IReadOnlyList<TransformKind> Kinds { get; } = [TransformKind.Rotation, TransformKind.Color, TransformKind.Blur, TransformKind.Translation];

    /// <summary>The representation parts every row is probed on: the whole representation and each half.</summary>
    public static IReadOnlyList<RepresentationPart> Parts { get; } = [RepresentationPart.All, RepresentationPart.Invariant, RepresentationPart.Equivariant];

    /// <summary>Runs every probe of the protocol on <paramref name="encoder"/> (seed <paramref name="seed"/>: the transformation draws and the probes' initialisation).</summary>
    public static EvaluationReport Evaluate(PretrainedEncoder encoder, ProbeImages images, Budget budget, int seed, string modelPath, string dataPath, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(budget);
        var settings = new EvaluationSettings
        {
            Kinds = Kinds,
            Classification = true,
            Parts = Parts,
            ShareImageEmbeddings = true,
            Regression = budget.RegressionProbe(seed),
            Linear = budget.LinearProbe(seed),
            Knn = new() { K = budget.KnnK },
            Seed = seed,
        };
        return Evaluator.Evaluate(encoder, images.ProbeTrain, images.ProbeTest, settings, modelPath, dataPath, log, (images.ClassifierTrain, images.Test));
    }
}
