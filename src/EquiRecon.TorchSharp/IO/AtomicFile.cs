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
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
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
}
