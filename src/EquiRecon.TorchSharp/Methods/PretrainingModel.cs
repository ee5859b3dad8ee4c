using System.Globalization;
using EquiRecon.TorchSharp.Encoders;
using TorchSharp;
using static TorchSharp.torch;

namespace EquiRecon.TorchSharp.Methods;

/// <summary>
/// The shared encoder plus the heads of one <see cref="MethodConfig"/>. Its forward pass is the
/// same for every method: both views go through the encoder in one batch, the representation is
/// split, and each configured objective adds its terms to the total.
/// </summary>
public sealed class PretrainingModel : nn.Module<PretrainingInput, LossTerms>
{
    private readonly ResNetEncoder encoder;
    private readonly VicRegObjective? vicreg;
    private readonly ReconstructionObjective? reconstruction;
    private readonly SieObjective? sie;
    private readonly SupervisedObjective? supervised;
    private nn.Module[] frozen = [];
    private nn.Module<PairBatch, LossTerms>[] additional = [];

    /// <summary>Builds the encoder and the heads of <paramref name="method"/>.</summary>
    /// <param name="method">The method (validated here).</param>
    /// <param name="encoderConfig">The encoder architecture.</param>
    /// <param name="imageSize">Side of the square training images.</param>
    /// <param name="classes">Number of classes of the data (0 when unlabeled; needed ≥ 2 by <c>supervised</c>).</param>
    public PretrainingModel(MethodConfig method, ResNetEncoderConfig encoderConfig, int imageSize, int classes) : base(nameof(PretrainingModel))
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(encoderConfig);
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 8);
        method.Validate();
        Method = method;
        EncoderConfig = encoderConfig;
        ImageSize = imageSize;
        encoder = EncoderFactory.Create(encoderConfig);
        var context = new ObjectiveContext(encoderConfig.Split, imageSize, encoderConfig.TokenGridSize(imageSize), classes);
        if (method.VicReg is not null) vicreg = new VicRegObjective(method.VicReg, context);
        if (method.Reconstruction is not null) reconstruction = new ReconstructionObjective(method.Reconstruction, context);
        if (method.Sie is not null) sie = new SieObjective(method.Sie, context);
        if (method.Supervised is not null) supervised = new SupervisedObjective(method.Supervised, context);
        RegisterComponents();
        // Objectives beyond the built-in ones, registered after them under their own names (the built-in methods have none).
        additional = (method.AdditionalObjectives ?? []).Select(config =>
        {
            var module = config.Create(context);
            register_module(config.ModuleName, module);
            return module;
        }).ToArray();
    }

    /// <summary>Module names of the model that additional objectives (<see cref="IObjectiveConfig.ModuleName"/>) cannot take.</summary>
    public static IReadOnlySet<string> ReservedModuleNames { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "encoder", "vicreg", "reconstruction", "sie", "supervised", "frozen", "additional",
    };

    /// <summary>The method this model trains.</summary>
    public MethodConfig Method { get; }

    /// <summary>The encoder architecture.</summary>
    public ResNetEncoderConfig EncoderConfig { get; }

    /// <summary>Side of the square training images.</summary>
    public int ImageSize { get; }

    /// <summary>The shared encoder (what a model file keeps).</summary>
    public ResNetEncoder Encoder => encoder;

    /// <summary>
    /// Leading encoder stages kept fixed (0: none): the stem and <c>layer1</c> … <c>layerK</c> get no gradient and stay
    /// in eval mode (BatchNorm running statistics fixed) whenever the model is in training mode.
    /// </summary>
    public int FrozenStages { get; private set; }

    /// <summary>
    /// Freezes the stem (<c>conv1</c>, <c>bn1</c>) and the first <paramref name="stages"/> residual stages of the encoder:
    /// <c>requires_grad = false</c> on their parameters and eval mode for their modules, now and after every
    /// <see cref="train"/>. Autograd then stops at the first trainable stage. Call once, before the optimizer is built.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stages"/> is negative or more than the encoder's stages.</exception>
    internal void FreezeEncoderStages(int stages)
    {
        if (stages < 0 || stages > EncoderConfig.Stages)
        {
            throw new ArgumentOutOfRangeException(nameof(stages), stages, string.Create(CultureInfo.InvariantCulture,
                $"FrozenStages must lie in [0, {EncoderConfig.Stages}] (the encoder has {EncoderConfig.Stages} stages); got {stages}."));
        }
        if (FrozenStages != 0)
            throw new InvalidOperationException("The encoder stages are already frozen.");
        if (stages == 0)
            return;
        var names = new HashSet<string>(StringComparer.Ordinal) { "conv1", "bn1" };
        for (var stage = 1; stage <= stages; stage++)
            names.Add("layer" + stage.ToString(CultureInfo.InvariantCulture));
        var modules = encoder.named_children().Where(c => names.Contains(c.name)).Select(c => c.module).ToArray();
        if (modules.Length != names.Count)
            throw new InvalidOperationException($"The encoder lacks some of the modules to freeze ({string.Join(", ", names)}).");
        foreach (var module in modules)
        {
            foreach (var parameter in module.parameters())
                parameter.requires_grad = false;
        }
        frozen = modules;
        FrozenStages = stages;
        train(training);
    }

    /// <summary>Sets training mode; the frozen encoder stages (<see cref="FrozenStages"/>) stay in eval mode.</summary>
    public override void train(bool train = true)
    {
        base.train(train);
        foreach (var module in frozen)
            module.eval();
    }

    /// <summary>The reconstruction objective, when the method has one (for reconstruction grids).</summary>
    public ReconstructionObjective? ReconstructionHead => reconstruction;

    /// <summary>Encodes both views in one batch and splits the outputs back.</summary>
    public PairBatch Encode(PretrainingInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!input.ViewA.shape.SequenceEqual(input.ViewB.shape))
            throw new ArgumentException($"Views must have the same shape; got [{string.Join(", ", input.ViewA.shape)}] and [{string.Join(", ", input.ViewB.shape)}].", nameof(input));
        var n = input.ViewA.shape[0];
        var both = encoder.call(cat([input.ViewA, input.ViewB], 0));
        var a = new EncoderOutput(both.Tokens.narrow(0, 0, n), both.Pooled.narrow(0, 0, n));
        var b = new EncoderOutput(both.Tokens.narrow(0, n, n), both.Pooled.narrow(0, n, n));
        return new PairBatch(input.ViewA, input.ViewB, a, b, input.AugmentedA, input.AugmentedB, EncoderConfig.Split, input.Labels);
    }

    /// <inheritdoc />
    public override LossTerms forward(PretrainingInput input)
    {
        using var scope = NewDisposeScope();
        var pair = Encode(input);
        var parts = new List<LossTerms>(4);
        if (vicreg is not null) parts.Add(vicreg.call(pair));
        if (reconstruction is not null) parts.Add(reconstruction.call(pair));
        if (sie is not null) parts.Add(sie.call(pair));
        if (supervised is not null) parts.Add(supervised.call(pair));
        foreach (var objective in additional)
            parts.Add(objective.call(pair));
        var total = parts.Select(p => p.Total).Aggregate((x, y) => x + y);
        var terms = parts.SelectMany(p => p.Terms).ToDictionary(kv => kv.Key, kv => kv.Value);
        return new LossTerms(total, terms).MoveToOuterDisposeScope();
    }
}
