namespace EquiRecon.TorchSharp.Evaluation;

/// <summary>How the k nearest neighbours vote.</summary>
public enum KnnVoting
{
    /// <summary>One vote per neighbour; ties go to the lowest class index.</summary>
    Majority,

    /// <summary>Each neighbour votes with <c>exp(similarity / T)</c> (Wu et al. 2018, DINO's kNN monitor).</summary>
    Weighted,
}
