namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>The optimiser of a linear probe.</summary>
public enum ProbeOptimizer
{
    /// <summary>Adam (SIE's evaluation scripts).</summary>
    Adam,

    /// <summary>SGD with momentum (the classic ImageNet linear-evaluation protocol).</summary>
    Sgd,
}
