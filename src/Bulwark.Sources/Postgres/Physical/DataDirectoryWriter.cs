using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage.Local;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// Writes a physical snapshot's files into an empty folder (mode 0700), each checked against its SHA-256 as it is
/// written, with the modes the server had. The folder is then a data directory as pg_basebackup would have left it,
/// and on disk when this returns: on Linux one syncfs of the folder's file system at the end (as `initdb -S` with
/// syncfs does) rather than an fsync per file, which for a cluster's thousands of small files costs more than
/// writing them; elsewhere an fsync per file.
/// </summary>
public static class DataDirectoryWriter
{
    /// <summary>Files written at once: relation files are many, and each waits on its chunks.</summary>
    private const int Parallelism = 4;

    /// <summary>Refuses a folder that exists and is not empty (nothing of it is touched).</summary>
    public static void CheckTarget(string directory)
    {
        if (File.Exists(directory))
            throw new BulwarkException(ErrorKind.Refused, $"{directory} is a file, not a folder",
                "give a new or empty folder to --to-dir");
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
            throw new BulwarkException(ErrorKind.Refused, $"{directory} is not empty; a restore never writes over existing files",
                "give a new or empty folder to --to-dir (stop and move away a server that used it)");
    }

    /// <returns>Bytes written.</returns>
    public static async Task<long> WriteAsync(BackupRepository repository, Snapshot snapshot, string directory,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var physical = snapshot.Manifest.Physical
                       ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} is a logical snapshot (pg_dump), not a base backup",
                           "restore it with --target; --to-dir takes a snapshot of 'bulwark backup --physical'");
        CheckTarget(directory);
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var root = Path.GetFullPath(directory);
        var streams = snapshot.Manifest.Streams.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var files = new List<(string Path, StreamEntry Stream, UnixFileMode Mode)>();
        foreach (var entry in physical.Files)
        {
            var path = Path.GetFullPath(Path.Combine(root, entry.Path));
            if (!path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new BulwarkException(ErrorKind.Integrity, $"snapshot {snapshot.ShortId} names a file outside the data folder ('{entry.Path}')",
                    "run 'bulwark verify'; this snapshot cannot be restored as it is");
            var mode = ModeOf(entry.Mode);
            switch (entry.Type)
            {
                case PhysicalFileEntry.DirectoryType:
                    Directory.CreateDirectory(path);
                    File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    break;
                case PhysicalFileEntry.SymlinkType:
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.CreateSymbolicLink(path, entry.LinkTarget ?? "");
                    break;
                case PhysicalFileEntry.FileType:
                    var stream = streams.GetValueOrDefault(PhysicalBackupInfo.StreamPrefix + entry.Path)
                                 ?? throw new BulwarkException(ErrorKind.Integrity,
                                     $"snapshot {snapshot.ShortId} lists {entry.Path} but holds no stream for it",
                                     "run 'bulwark verify'; restore another base backup");
                    files.Add((path, stream, mode));
                    break;
                default:
                    throw new BulwarkException(ErrorKind.Repository, $"snapshot {snapshot.ShortId} holds a file of kind '{entry.Type}'",
                        "upgrade Bulwark to restore it");
            }
        }
        long written = 0;
        await System.Threading.Tasks.Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (file, ct) =>
            {
                Directory.CreateDirectory(Path.GetDirectoryName(file.Path)!);
                var options = new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                    PreallocationSize = file.Stream.Size,
                };
                await using (var output = new FileStream(file.Path, options))
                {
                    await repository.CopyStreamAsync(file.Stream, output, progress, cancellationToken: ct).ConfigureAwait(false);
                    if (!OperatingSystem.IsLinux())
                        output.Flush(flushToDisk: true);
                }
                File.SetUnixFileMode(file.Path, file.Mode);
                Interlocked.Add(ref written, file.Stream.Size);
            }).ConfigureAwait(false);
        if (OperatingSystem.IsLinux())
            SyncFileSystem(root);
        return written;
    }

    /// <summary>Flushes the file system that holds <paramref name="directory"/>: every file written into it, and its folders.</summary>
    private static void SyncFileSystem(string directory)
    {
        try
        {
            AtomicFile.SyncFileSystem(directory);
        }
        catch (IOException e)
        {
            throw new BulwarkException(ErrorKind.Failed, $"the restored files in {directory} could not be flushed to disk ({e.Message})",
                "check the disk and its free space, then restore again into an empty folder", e);
        }
    }

    private static UnixFileMode ModeOf(string octal) =>
        (UnixFileMode)(Convert.ToInt32(octal, 8) & 0x1FF) is var mode && mode != 0
            ? mode
            : UnixFileMode.UserRead | UnixFileMode.UserWrite;
}
