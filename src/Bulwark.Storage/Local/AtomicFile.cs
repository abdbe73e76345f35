namespace Bulwark.Storage.Local;

/// <summary>
/// Replaces or creates a file so that a reader (and the file system after a crash or a kill) sees the whole old
/// content or the whole new content, never part: write a temporary file in the same folder, fsync it, rename it over
/// the target, fsync the folder.
/// </summary>
public static class AtomicFile
{
    /// <summary>The suffix of temporary files; a killed writer leaves one behind, which is never the target.</summary>
    public const string TemporarySuffix = ".bulwark-tmp";

    /// <summary>The temporary name used next to <paramref name="path"/>.</summary>
    public static string TemporaryPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, $".{Path.GetFileName(path)}.{Guid.NewGuid().ToString("N")[..TemporaryIdLength]}{TemporarySuffix}");

    private const int TemporaryIdLength = 12;

    /// <summary>Whether <paramref name="fileName"/> (in the same folder) is a temporary name of <paramref name="path"/>.</summary>
    public static bool IsTemporaryFileOf(string path, string fileName)
    {
        var prefix = $".{Path.GetFileName(path)}.";
        return fileName.Length == prefix.Length + TemporaryIdLength + TemporarySuffix.Length &&
               fileName.StartsWith(prefix, StringComparison.Ordinal) &&
               fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal);
    }

    /// <summary>
    /// Writes what <paramref name="write"/> produces to <paramref name="path"/> atomically and durably. Mode and time
    /// are set on the temporary file before the rename, so the target never has the wrong ones either.
    /// </summary>
    /// <param name="overwrite">False: an existing target is an error (the temporary file is removed).</param>
    /// <param name="syncDirectory">False when the caller syncs the folder itself (once for many files, with <see cref="SyncDirectory"/>).</param>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, bool overwrite,
        UnixFileMode? mode = null, DateTime? lastWriteTimeUtc = null, bool syncDirectory = true,
        CancellationToken cancellationToken = default)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temporary = TemporaryPathFor(Path.GetFullPath(path));
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using (var file = new FileStream(temporary, options))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
            if (mode is { } m && !OperatingSystem.IsWindows())
                File.SetUnixFileMode(temporary, m);
            if (lastWriteTimeUtc is { } time)
                File.SetLastWriteTimeUtc(temporary, time);
            if (!overwrite && (File.Exists(path) || Directory.Exists(path)))
                throw new IOException($"{path} already exists");
            File.Move(temporary, path, overwrite);
            if (syncDirectory)
                NativeFile.SyncDirectory(folder);
        }
        finally
        {
            try
            {
                File.Delete(temporary);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>Makes the renames in <paramref name="folder"/> durable.</summary>
    public static void SyncDirectory(string folder) => NativeFile.SyncDirectory(folder);

    /// <summary>Writes <paramref name="content"/> atomically (see the overload that takes a writer).</summary>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> content, bool overwrite, UnixFileMode? mode = null,
        CancellationToken cancellationToken = default) =>
        WriteAsync(path, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), overwrite, mode, null, true, cancellationToken);
}
