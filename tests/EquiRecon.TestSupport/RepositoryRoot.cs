namespace EquiRecon.TestSupport;

/// <summary>The clone the tests run from: the first folder above the test binaries holding <c>EquiRecon.MLNet.sln</c>.</summary>
public static class RepositoryRoot
{
    /// <summary>The repository's root folder.</summary>
    /// <exception cref="InvalidOperationException">No folder above the test binaries holds the solution.</exception>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EquiRecon.MLNet.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("EquiRecon.MLNet.sln was not found above " + AppContext.BaseDirectory);
    }
}
