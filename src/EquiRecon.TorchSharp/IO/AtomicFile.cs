namespace EquiRecon.TorchSharp.IO;

/// <summary>
/// Writes files atomically: content goes to a temporary file in the target's folder, is flushed
/// to disk, then renamed over the target. A crash or an exception while writing leaves the
/// previous file untouched and no partial file under the target's name.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes the file by calling <paramref name="write"/> on a stream to a temporary file, then renames it to <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="path"/> is empty.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, TemporaryName(full, Guid.NewGuid()));
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp))
                File.Delete(tmp);
        }
    }

    /// <summary>
    /// Deletes the temporary files <see cref="Write"/> left beside <paramref name="path"/> when its process was killed mid-write
    /// (<c>.&lt;name&gt;.&lt;32 hex digits&gt;.tmp</c>); other files are left alone. Call it only while no other process writes
    /// <paramref name="path"/>.
    /// </summary>
    /// <returns>The number of files deleted.</returns>
    public static int RemoveStaleTemporaries(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            return 0;
        var prefix = $".{Path.GetFileName(full)}.";
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(dir, prefix + "*.tmp"))
        {
            var middle = Path.GetFileName(file)[prefix.Length..^".tmp".Length];
            if (Guid.TryParseExact(middle, "N", out var guid) && Path.GetFileName(file) == TemporaryName(full, guid))
            {
                File.Delete(file);
                removed++;
            }
        }
        return removed;
    }

    private static string TemporaryName(string fullPath, Guid guid) => $".{Path.GetFileName(fullPath)}.{guid:N}.tmp";
}
