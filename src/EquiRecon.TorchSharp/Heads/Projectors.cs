namespace EquiRecon.TorchSharp.Heads;

/// <summary>Named <see cref="MlpHead"/> shapes used by the methods and the evaluation.</summary>
public static class Projectors
{
    /// <summary>VICReg's expander: <c>input → width → width → width</c>, batch norm, last Linear without bias.</summary>
    /// <param name="input">Representation channels (e.g. 256 or 512).</param>
    /// <param name="width">Expander width; default 2048 (usual for ResNet-18 on CIFAR; 8192 on ImageNet).</param>
    public static MlpHead VicRegExpander(int input, int width = 2048) =>
        new(new MlpHeadOptions([input, width, width, width]));

    /// <summary>SIE's projector (one per representation part): <c>input → width → width → width</c>, batch norm, last Linear without bias.</summary>
    /// <param name="input">Channels of the part (e.g. 256).</param>
    /// <param name="width">Projector width; default 1024.</param>
    public static MlpHead SieProjector(int input, int width = 1024) =>
        new(new MlpHeadOptions([input, width, width, width]));

    /// <summary>The evaluation MLP (e.g. transformation prediction): <c>input → hidden → hidden → outputs</c>, batch norm, last Linear with bias.</summary>
    /// <param name="input">Input features (e.g. twice a part's channels for a pair of images).</param>
    /// <param name="outputs">Predicted values (e.g. a transformation's parameters).</param>
    /// <param name="hidden">Hidden width; default 1024.</param>
    public static MlpHead ProbeMlp(int input, int outputs, int hidden = 1024) =>
        new(new MlpHeadOptions([input, hidden, hidden, outputs], batchNorm: true, lastBias: true));

    /// <summary>A linear classifier: one Linear <c>input → classes</c> with bias (weights <c>layers.0.weight</c>, <c>layers.0.bias</c>).</summary>
    /// <param name="input">Input features.</param>
    /// <param name="classes">Number of classes.</param>
    public static MlpHead LinearProbe(int input, int classes) =>
        new(new MlpHeadOptions([input, classes], batchNorm: false, lastBias: true));
}
