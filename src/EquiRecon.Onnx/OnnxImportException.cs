namespace EquiRecon.Onnx;

/// <summary>
/// An ONNX file to import is missing, unreadable, or its graph is not the one the importer expects; the message names
/// the file and, for a graph mismatch, the node and what was expected.
/// </summary>
public sealed class OnnxImportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OnnxImportException() { }

    /// <summary>Creates the exception with a message.</summary>
    public OnnxImportException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public OnnxImportException(string message, Exception innerException) : base(message, innerException) { }
}
