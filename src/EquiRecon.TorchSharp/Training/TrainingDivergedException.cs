namespace EquiRecon.TorchSharp.Training;

/// <summary>A loss became NaN or infinite; training stopped before the step was applied and the last checkpoint was kept.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TrainingDivergedException() { }

    /// <summary>Creates the exception with a message.</summary>
    public TrainingDivergedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public TrainingDivergedException(string message, Exception innerException) : base(message, innerException) { }
}
