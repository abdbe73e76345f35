using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;

namespace Bulwark.Storage.Local;

/// <summary>
/// The one way Bulwark replaces or creates a file, so that a reader (and the file system after a crash or a kill)
/// sees the whole old content or the whole new content, never part: write a temporary file in the same folder,
/// fsync it, give it its mode and time, rename it over the target, fsync the folder. The temporary file is created
/// exclusively (O_CREAT|O_EXCL, so no link is followed) as 0600, and a rename replaces a link in the target's place
/// instead of writing through it.
/// </summary>
/// <remarks>
/// Every temporary file is named ".NAME.&lt;12 hex digits&gt;.bulwark.tmp" next to its target. A killed writer leaves
/// one behind, which is never the target. The name ends in ".tmp" so that the rules that already skip and sweep
/// "*.tmp" (a local repository's listing and cleanup, the state folder's sweep) cover it; in folders that are not
/// Bulwark's own (restore --files-to, environment files, restore --to-file) only this exact pattern is removed.
/// </remarks>
public static partial class AtomicFile
{
    /// <summary>The suffix of temporary files.</summary>
    public const string TemporarySuffix = ".bulwark.tmp";

    private const int TemporaryIdLength = 12;

    /// <summary>A fresh temporary name next to <paramref name="path"/>.</summary>
    public static string TemporaryPathFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!,
            $".{Path.GetFileName(path)}.{Guid.NewGuid().ToString("N")[..TemporaryIdLength]}{TemporarySuffix}");

    /// <summary>Whether <paramref name="fileName"/> is a temporary name of any target.</summary>
    public static bool IsTemporaryName(string fileName) => TemporaryName().IsMatch(fileName);

    /// <summary>Whether <paramref name="fileName"/> (in the same folder) is a temporary name of <paramref name="path"/>.</summary>
    public static bool IsTemporaryFileOf(string path, string fileName)
    {
        var prefix = $".{Path.GetFileName(path)}.";
        return fileName.Length == prefix.Length + TemporaryIdLength + TemporarySuffix.Length &&
               fileName.StartsWith(prefix, StringComparison.Ordinal) && IsTemporaryName(fileName);
    }

    /// <summary>
    /// Removes the temporary files of <paramref name="path"/> that killed writers left. Only for a caller that knows
    /// no other writer of the same target runs (it holds a lock, or the target is its own).
    /// </summary>
    public static void RemoveTemporaryFilesOf(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder))
            return;
        foreach (var leftover in Directory.EnumerateFiles(folder, $".{Path.GetFileName(path)}.*{TemporarySuffix}"))
        {
            if (IsTemporaryFileOf(path, Path.GetFileName(leftover)))
                File.Delete(leftover);
        }
    }

    /// <summary>Writes what <paramref name="write"/> produces to <paramref name="path"/> atomically and durably.</summary>
    /// <exception cref="IOException">The file cannot be written, or it exists and <see cref="AtomicWriteOptions.Overwrite"/> is false.</exception>
    public static Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, AtomicWriteOptions? options,
        CancellationToken cancellationToken) =>
        WriteAsync(path, write, 1 << 16, options, cancellationToken);

    /// <summary>Writes <paramref name="content"/> to <paramref name="path"/> atomically and durably.</summary>
    /// <inheritdoc cref="WriteAsync(string, Func{Stream, CancellationToken, Task}, AtomicWriteOptions?, CancellationToken)" path="/exception"/>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> content, AtomicWriteOptions? options,
        CancellationToken cancellationToken) =>
        WriteAsync(path, (stream, ct) => stream.WriteAsync(content, ct).AsTask(), bufferSize: 0, options, cancellationToken);

    private static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, int bufferSize,
        AtomicWriteOptions? options, CancellationToken cancellationToken)
    {
        options ??= AtomicWriteOptions.Default;
        var full = Path.GetFullPath(path);
        var temporary = TemporaryPathFor(full);
        try
        {
            var mode = FinalMode(full, options);
            var file = Create(temporary, bufferSize);
            await using (file.ConfigureAwait(false))
            {
                await write(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                Seal(file, mode, options);
            }
            Rename(temporary, full, options);
        }
        finally
        {
            Discard(temporary);
        }
    }

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically and durably, synchronously: for the small
    /// state files that synchronous code keeps (job states, alert state, caches).
    /// </summary>
    /// <inheritdoc cref="WriteAsync(string, Func{Stream, CancellationToken, Task}, AtomicWriteOptions?, CancellationToken)" path="/exception"/>
    public static void Write(string path, ReadOnlySpan<byte> content, AtomicWriteOptions? options = null)
    {
        options ??= AtomicWriteOptions.Default;
        var full = Path.GetFullPath(path);
        var temporary = TemporaryPathFor(full);
        try
        {
            var mode = FinalMode(full, options);
            using (var file = Create(temporary, bufferSize: 0))
            {
                file.Write(content);
                Seal(file, mode, options);
            }
            Rename(temporary, full, options);
        }
        finally
        {
            Discard(temporary);
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no BOM); see <see cref="Write(string, ReadOnlySpan{byte}, AtomicWriteOptions?)"/>.</summary>
    public static void WriteText(string path, string text, AtomicWriteOptions? options = null) =>
        Write(path, Utf8.GetBytes(text), options);

    /// <summary>Makes the renames in <paramref name="folder"/> durable.</summary>
    public static void SyncDirectory(string folder) => NativeFile.SyncDirectory(folder);

    /// <summary>Makes every file and folder written on the file system that holds <paramref name="folder"/> durable (Linux: syncfs).</summary>
    public static void SyncFileSystem(string folder) => NativeFile.SyncFileSystem(folder);

    private static FileStream Create(string temporary, int bufferSize) =>
        new(temporary, OwnerOnly.Options(FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize));

    private static UnixFileMode? FinalMode(string path, AtomicWriteOptions options)
    {
        if (OperatingSystem.IsWindows())
            return null;
        if (options.KeepExistingMode && File.Exists(path))
            return File.GetUnixFileMode(path);
        return options.Mode;
    }

    /// <summary>Flushes to disk, then sets mode and time through the open handle (never through a name that could be swapped).</summary>
    private static void Seal(FileStream file, UnixFileMode? mode, AtomicWriteOptions options)
    {
        file.Flush(flushToDisk: true);
        SafeFileHandle handle = file.SafeFileHandle;
        if (mode is { } m && !OperatingSystem.IsWindows())
            File.SetUnixFileMode(handle, m);
        if (options.LastWriteTimeUtc is { } time)
            File.SetLastWriteTimeUtc(handle, time);
    }

    private static void Rename(string temporary, string path, AtomicWriteOptions options)
    {
        if (!options.Overwrite && (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null))
            throw new IOException($"{path} already exists");
        File.Move(temporary, path, options.Overwrite);
        if (options.SyncDirectory)
            NativeFile.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static void Discard(string temporary)
    {
        try
        {
            File.Delete(temporary); // nothing there after a rename
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    [GeneratedRegex(@"^\..+\.[0-9a-f]{12}\.bulwark\.tmp$")]
    private static partial Regex TemporaryName();
}
