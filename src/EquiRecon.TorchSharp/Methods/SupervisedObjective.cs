using EquiRecon.TorchSharp.Heads;
using EquiRecon.TorchSharp.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>The supervised baseline: a linear classifier on the pooled representation, cross-entropy on both views.</summary>
/// <param name="Weight">Multiplier of this objective in the total loss.</param>
public sealed record SupervisedObjectiveConfig(double Weight = 1.0);

/// <summary>Cross-entropy of a linear classifier over the whole representation.</summary>
public sealed class SupervisedObjective : nn.Module<PairBatch, LossTerms>
{
    private readonly MlpHead classifier;
    private readonly SupervisedObjectiveConfig _config;

    /// <summary>Builds the classifier; <paramref name="context"/> must have at least two classes.</summary>
    public SupervisedObjective(SupervisedObjectiveConfig config, ObjectiveContext context) : base(nameof(SupervisedObjective))
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(context);
        if (context.Classes < 2)
            throw new ArgumentException($"The supervised method needs labeled data with at least 2 classes; the data has {context.Classes}.", nameof(context));
        _config = config;
        classifier = Projectors.LinearProbe(context.Split.Channels, context.Classes);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override LossTerms forward(PairBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Labels is null)
            throw new ArgumentException("The supervised objective needs labels; the batch has none.", nameof(batch));
        using var scope = NewDisposeScope();
        var ce = (SupervisedLoss.CrossEntropy(classifier.call(batch.EncodedA.Pooled), batch.Labels)
                + SupervisedLoss.CrossEntropy(classifier.call(batch.EncodedB.Pooled), batch.Labels)) / 2;
        var result = new LossTerms(ce * _config.Weight, new Dictionary<string, Tensor> { ["supervised/cross_entropy"] = ce });
        return result.MoveToOuterDisposeScope();
    }
}
