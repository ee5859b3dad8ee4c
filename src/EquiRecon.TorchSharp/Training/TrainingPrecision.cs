namespace EquiRecon.TorchSharp.Training;

/// <summary>The arithmetic of the encoder during pretraining (<see cref="PretrainingOptions.Precision"/>).</summary>
public enum TrainingPrecision
{
    /// <summary>Everything in float32 (the default).</summary>
    Fp32,

    /// <summary>
    /// The encoder's convolutions and BatchNorm layers compute in bfloat16 on float32 master weights (each weight is
    /// cast per pass; gradients, optimizer state, BatchNorm statistics and the heads stay float32). On CPU this needs
    /// oneDNN's AVX-512 BF16 kernels (<c>DNNL_MAX_CPU_ISA=ALL</c> on a CPU that has them); docs/benchmarks.md, "bf16".
    /// </summary>
    Bf16,
}
