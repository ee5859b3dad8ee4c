using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using EquiRecon.TorchSharp.Augment;
using EquiRecon.TorchSharp.Data;
using EquiRecon.TorchSharp.Encoders;
using EquiRecon.TorchSharp.Evaluation;
using EquiRecon.TorchSharp.IO;
using static TorchSharp.torch;

namespace EquiRecon.Cli.Running;

/// <summary>Which probes to run on a frozen encoder, and how.</summary>
internal sealed record EvaluationSettings
{
    /// <summary>Transformations whose parameters are predicted (pairwise probe, R²).</summary>
    public required IReadOnlyList<TransformKind> Kinds { get; init; }

    /// <summary>Run the classification probes (linear top-1 and kNN top-1).</summary>
    public required bool Classification { get; init; }

    /// <summary>The representation parts probed (each separately).</summary>
    public required IReadOnlyList<RepresentationPart> Parts { get; init; }

    /// <summary>The regression probe.</summary>
    public required ProbeOptions Regression { get; init; }

    /// <summary>The linear classification probe.</summary>
    public required LinearProbeOptions Linear { get; init; }

    /// <summary>The kNN classifier.</summary>
    public KnnOptions Knn { get; init; } = new();

    /// <summary>Seed of the sampled transformations.</summary>
    public int Seed { get; init; }

    /// <summary>Images per encoder forward pass.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>
    /// Encode each image x once and share it across the transformations and the classification probes
    /// (<see cref="TransformationProbes.EmbedKinds"/>: <c>N · (1 + kinds)</c> forward passes instead of
    /// <c>N · (2 · kinds + 1)</c>); default false, the protocol of the CIFAR-10 tables (one x pass per kind).
    /// </summary>
    public bool ShareImageEmbeddings { get; init; }
}

/// <summary>R² of one transformation probe on one representation part.</summary>
/// <param name="Probe">Probe name (<c>rot</c>, <c>color</c>, …).</param>
/// <param name="Part">Representation part (<c>all</c>, <c>invariant</c>, <c>equivariant</c>).</param>
/// <param name="R2Global">SIE's R² (one global target mean).</param>
/// <param name="R2PerOutput">scikit-learn's R² (per output, averaged).</param>
/// <param name="R2PerColumn">R² of each predicted parameter.</param>
internal sealed record TransformationScore(string Probe, string Part, double R2Global, double R2PerOutput, IReadOnlyList<double> R2PerColumn);

/// <summary>Classification accuracy on one representation part.</summary>
/// <param name="Part">Representation part.</param>
/// <param name="LinearTop1">Linear probe top-1 accuracy.</param>
/// <param name="KnnTop1">kNN top-1 accuracy.</param>
internal sealed record ClassificationScore(string Part, double LinearTop1, double KnnTop1);

/// <summary>Everything <c>equirecon evaluate</c> measured; written as <c>evaluation.json</c>.</summary>
internal sealed record EvaluationReport
{
    /// <summary>The model file.</summary>
    public required string Model { get; init; }

    /// <summary>The method recorded in the model file.</summary>
    public required string Method { get; init; }

    /// <summary>The data folder.</summary>
    public required string Data { get; init; }

    /// <summary>Images the probes trained on.</summary>
    public required int TrainImages { get; init; }

    /// <summary>Images the probes were scored on.</summary>
    public required int TestImages { get; init; }

    /// <summary>Seed of the sampled transformations and the probes.</summary>
    public required int Seed { get; init; }

    /// <summary>What the two R² columns are.</summary>
    public string R2Definitions { get; init; } = "r2_global: SIE's (1 - SS_res/SS_tot with one mean over all outputs); r2_per_output: scikit-learn's r2_score (per output, uniform average)";

    /// <summary>Regression probe settings.</summary>
    public required ProbeOptions RegressionProbe { get; init; }

    /// <summary>Linear classification probe settings.</summary>
    public required LinearProbeOptions LinearProbe { get; init; }

    /// <summary>Transformation probes.</summary>
    public required IReadOnlyList<TransformationScore> Transformations { get; init; }

    /// <summary>Classification probes (empty when not asked for).</summary>
    public required IReadOnlyList<ClassificationScore> Classification { get; init; }

    /// <summary>Wall time of the evaluation.</summary>
    public required double Seconds { get; init; }

    /// <summary>Any extra context (budget, table).</summary>
    public IReadOnlyDictionary<string, string> Context { get; init; } = new Dictionary<string, string>();

    /// <summary>The score of <paramref name="probe"/> on <paramref name="part"/>, if measured.</summary>
    public TransformationScore? Find(string probe, string part) =>
        Transformations.FirstOrDefault(t => t.Probe == probe && t.Part == part);

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Writes the report as JSON (atomically).</summary>
    public void Save(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, Json);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>Reads a report written by <see cref="Save"/>; null when missing or unreadable.</summary>
    public static EvaluationReport? TryLoad(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<EvaluationReport>(File.ReadAllBytes(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The evaluation protocol on a frozen encoder (eval mode): for each transformation, the pairwise probe of
/// <see cref="TransformationProbes"/> (R² in both definitions); for classification, a linear probe and a kNN
/// classifier on the pooled representation. Each representation part is probed separately.
/// </summary>
internal static class Evaluator
{
    /// <summary>Runs every probe of <paramref name="settings"/>; <paramref name="log"/> receives one line per result.</summary>
    /// <param name="encoder">The frozen encoder.</param>
    /// <param name="train">Images the transformation probes (and, by default, the classification probes) train on.</param>
    /// <param name="test">Images they are scored on.</param>
    /// <param name="settings">Which probes, and how.</param>
    /// <param name="modelPath">The model file, for the report.</param>
    /// <param name="dataPath">The data folder, for the report.</param>
    /// <param name="log">Receives one line per result.</param>
    /// <param name="classification">Other (train, test) images for the classification probes; null: <paramref name="train"/> and <paramref name="test"/>.</param>
    public static EvaluationReport Evaluate(PretrainedEncoder encoder, ImageDataset train, ImageDataset test, EvaluationSettings settings,
        string modelPath, string dataPath, Action<string>? log = null, (ImageDataset Train, ImageDataset Test)? classification = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(settings);
        var (classTrain, classTest) = classification ?? (train, test);
        if (settings.Classification && !classTrain.ClassNames.SequenceEqual(classTest.ClassNames, StringComparer.Ordinal))
            throw new CliException($"Option '--data': the train and test splits have different classes ({string.Join(", ", classTrain.ClassNames)} vs {string.Join(", ", classTest.ClassNames)}).");
        var clock = Stopwatch.StartNew();
        var split = encoder.Split;
        var transformations = new List<TransformationScore>();
        using var outerScope = NewDisposeScope();
        Tensor? sharedTrainX = null, sharedTestX = null;
        IReadOnlyList<TransformedPairs>? sharedTrain = null, sharedTest = null;
        if (settings.ShareImageEmbeddings)
        {
            sharedTrain = TransformationProbes.EmbedKinds(encoder, train, settings.Kinds, settings.Seed * 1000, settings.BatchSize);
            sharedTest = TransformationProbes.EmbedKinds(encoder, test, settings.Kinds, settings.Seed * 1000 + 500, settings.BatchSize);
            sharedTrainX = sharedTrain.Count > 0 ? sharedTrain[0].PooledX : null;
            sharedTestX = sharedTest.Count > 0 ? sharedTest[0].PooledX : null;
            log?.Invoke(FormattableString.Invariant($"  embedded {train.Count} + {test.Count} images and {settings.Kinds.Count} transformed copies of each in {clock.Elapsed.TotalSeconds:F0} s"));
        }
        for (var i = 0; i < settings.Kinds.Count; i++)
        {
            var kind = settings.Kinds[i];
            var name = ProbeNames.Of(kind);
            using var scope = NewDisposeScope();
            var trainPairs = sharedTrain?[i] ?? TransformationProbes.Embed(encoder, train, kind, settings.Seed * 1000 + 2 * i, settings.BatchSize);
            var testPairs = sharedTest?[i] ?? TransformationProbes.Embed(encoder, test, kind, settings.Seed * 1000 + 2 * i + 1, settings.BatchSize);
            foreach (var part in settings.Parts)
            {
                var result = TransformationProbes.Fit(trainPairs, testPairs, split, part, settings.Regression);
                result.Predictions.Dispose();
                var score = new TransformationScore(name, ProbeParts.Name(part), result.RSquaredGlobal, result.RSquaredPerOutputMean, result.RSquaredPerOutput);
                transformations.Add(score);
                log?.Invoke(FormattableString.Invariant($"  {name,-6} {score.Part,-12} R² {score.R2Global,7:F3} (SIE)  {score.R2PerOutput,7:F3} (scikit-learn)"));
            }
        }

        var classificationScores = new List<ClassificationScore>();
        if (settings.Classification)
        {
            using var scope = NewDisposeScope();
            if (!ReferenceEquals(classTrain, train))
                sharedTrainX = null;
            if (!ReferenceEquals(classTest, test))
                sharedTestX = null;
            var trainX = sharedTrainX ?? PooledFeatures(encoder, classTrain, settings.BatchSize);
            var testX = sharedTestX ?? PooledFeatures(encoder, classTest, settings.BatchSize);
            foreach (var part in settings.Parts)
            {
                var a = split.Select(part, trainX);
                var b = split.Select(part, testX);
                var linear = LinearClassifierProbe.Fit(a, classTrain.Labels, b, classTest.Labels, settings.Linear);
                var knn = KnnClassifier.Evaluate(a, classTrain.Labels, b, classTest.Labels, settings.Knn);
                var score = new ClassificationScore(ProbeParts.Name(part), linear.Top1, knn.Top1);
                classificationScores.Add(score);
                log?.Invoke(FormattableString.Invariant($"  cls    {score.Part,-12} linear top-1 {score.LinearTop1:P1}  kNN top-1 {score.KnnTop1:P1}"));
            }
        }

        return new EvaluationReport
        {
            Model = modelPath,
            Method = encoder.Manifest.Method,
            Data = dataPath,
            TrainImages = train.Count,
            TestImages = test.Count,
            Seed = settings.Seed,
            RegressionProbe = settings.Regression,
            LinearProbe = settings.Linear,
            Transformations = transformations,
            Classification = classificationScores,
            Seconds = Math.Round(clock.Elapsed.TotalSeconds, 2),
        };
    }

    /// <summary>Pooled representations <c>(N, C)</c> of every image, on CPU.</summary>
    internal static Tensor PooledFeatures(PretrainedEncoder encoder, ImageDataset data, int batchSize) => BatchedEncoding.Pooled(encoder, data.Images, batchSize);
}
