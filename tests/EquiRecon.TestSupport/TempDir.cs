namespace EquiRecon.TestSupport;

/// <summary>A temporary directory deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates <c>equirecon-tests-&lt;guid&gt;</c> under the system's temporary folder.</summary>
    public TempDir() => Directory.CreateDirectory(Path);

    /// <summary>The directory.</summary>
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "equirecon-tests-" + Guid.NewGuid().ToString("N"));

    /// <summary>The path of <paramref name="name"/> inside the directory (nothing is created).</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The path of <paramref name="name"/> inside the directory (nothing is created); the same as <see cref="File"/>.</summary>
    public string Sub(string name) => File(name);

    /// <summary>Deletes the directory and everything in it (best effort).</summary>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
