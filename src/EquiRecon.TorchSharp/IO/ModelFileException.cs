namespace EquiRecon.TorchSharp.IO;

/// <summary>A model or checkpoint file is missing, truncated, corrupt or does not match what was expected.</summary>
public sealed class ModelFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ModelFileException() { }

    /// <summary>Creates the exception with a message.</summary>
    public ModelFileException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public ModelFileException(string message, Exception innerException) : base(message, innerException) { }
}
