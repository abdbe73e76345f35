using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage.Local;

namespace Bulwark.Sources.Files;

/// <summary>
/// Writes the files of a snapshot below a folder. Each file is written atomically (temporary file, checked against
/// its SHA-256, fsync, rename) with its mode and modification time. Every target is checked before anything is
/// written: an existing file is never replaced unless asked, and then the refusal comes before the first write.
/// The manifest is untrusted input (anyone who can write to an unencrypted repository can craft one): a path that
/// leads out of the folder is refused, a symbolic link inside the folder is never followed (the restore is refused
/// instead, or with --overwrite a link in a file's own place is replaced, not written through), and the setuid and
/// setgid bits are dropped from the recorded mode.
/// </summary>
public static class FileRestore
{
    /// <param name="only">Stored paths (or folders of them) to restore; empty for every file.</param>
    public static async Task<IReadOnlyList<RestoredFile>> RestoreAsync(BackupRepository repository, Snapshot snapshot,
        string directory, IReadOnlyList<string> only, bool overwrite, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var streams = FileStreams.Of(snapshot.Manifest);
        if (streams.Count == 0)
            throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} holds no files",
                "configure 'files:' in bulwark.yml; later backups will hold them");
        var chosen = Choose(snapshot, streams, only);
        var root = Path.GetFullPath(directory);
        var plan = new List<(StreamEntry Entry, string StoredPath, string Target)>();
        foreach (var entry in chosen)
        {
            var stored = FileStreams.StoredPath(entry);
            var target = Path.GetFullPath(Path.Combine(root, stored.Replace('/', Path.DirectorySeparatorChar)));
            // Bulwark stores relative paths without '..' (FileSelector): anything else was not written by it.
            if (!target.StartsWith(root.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
                stored.Split('/').Contains("..") || stored.Contains('\0', StringComparison.Ordinal))
                throw new BulwarkException(ErrorKind.Integrity,
                    $"snapshot {snapshot.ShortId} stores a file as '{Printable(stored)}', which leads out of {root}",
                    "the manifest is damaged or was not written by Bulwark; restore the file with --to-file instead");
            CheckFolders(root, target, stored);
            if (IsLink(target))
            {
                if (!overwrite)
                    throw new BulwarkException(ErrorKind.Refused, $"{target} already exists (a symbolic link); nothing was restored",
                        "choose an empty --files-to folder, or add --overwrite to replace the link itself (what it points to is left alone)");
            }
            else if (Directory.Exists(target))
            {
                throw new BulwarkException(ErrorKind.Refused, $"{target} is a folder; the file '{stored}' cannot replace it",
                    "choose another --files-to folder");
            }
            else if (!overwrite && File.Exists(target))
            {
                throw new BulwarkException(ErrorKind.Refused, $"{target} already exists; nothing was restored",
                    "choose an empty --files-to folder, or add --overwrite to replace existing files (each is replaced atomically)");
            }
            plan.Add((entry, stored, target));
        }

        var restored = new List<RestoredFile>(plan.Count);
        foreach (var (entry, stored, target) in plan)
        {
            try
            {
                CreateFolders(root, target, stored);
                // Temporary files of this target that a killed restore left behind: never the target, but clutter
                // the user would have to find. (A restore running into the same folder at the same moment would
                // fail on its rename; nothing is ever half-written under a final name.)
                AtomicFile.RemoveTemporaryFilesOf(target);
                // CopyStreamAsync checks length and SHA-256 before returning, so a damaged file never gets its name.
                // The rename replaces a link in the file's place (with --overwrite) rather than writing through it.
                await AtomicFile.WriteAsync(target,
                    (stream, ct) => repository.CopyStreamAsync(entry, stream, progress, cancellationToken: ct),
                    new AtomicWriteOptions
                    {
                        Overwrite = overwrite,
                        Mode = SafeMode(FileStreams.Mode(entry)),
                        LastWriteTimeUtc = FileStreams.Mtime(entry),
                        SyncDirectory = false,
                    }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BulwarkException(ErrorKind.Failed,
                    $"cannot write {target}: {e.Message} ({restored.Count} of {plan.Count} files restored before it)",
                    e is UnauthorizedAccessException ? "check the permissions of the target folder" : "check the target folder and free space");
            }
            restored.Add(new RestoredFile(stored, target, entry.Size, entry.Sha256));
        }
        // Each file was fsynced before its rename; one sync per folder makes the renames durable.
        foreach (var folder in plan.Select(p => Path.GetDirectoryName(p.Target)!).Distinct(StringComparer.Ordinal))
            AtomicFile.SyncDirectory(folder);
        return restored;
    }

    /// <summary>The recorded mode without setuid and setgid: a restore must not hand out privileges a manifest asks for.</summary>
    internal static UnixFileMode? SafeMode(UnixFileMode? mode) =>
        mode is { } m ? m & (UnixFileMode)0b1_111_111_111 : null; // 0o1777: permissions and the sticky bit

    /// <summary>The folders between <paramref name="root"/> and the file (both left out), outermost first.</summary>
    private static List<string> FoldersBelow(string root, string target)
    {
        var folders = new List<string>();
        for (var folder = Path.GetDirectoryName(target); folder is not null && folder.Length > root.TrimEnd(Path.DirectorySeparatorChar).Length;
             folder = Path.GetDirectoryName(folder))
            folders.Add(folder);
        folders.Reverse();
        return folders;
    }

    /// <summary>Refuses a folder on the way to a file that is a symbolic link (it would lead the write elsewhere) or a file.</summary>
    private static void CheckFolders(string root, string target, string stored)
    {
        foreach (var folder in FoldersBelow(root, target))
        {
            if (IsLink(folder))
                throw new BulwarkException(ErrorKind.Refused,
                    $"{folder} is a symbolic link; restoring '{stored}' through it could write outside {root}; nothing was restored",
                    "restore into an empty --files-to folder and copy the files into place yourself");
            if (Directory.Exists(folder))
                continue;
            if (File.Exists(folder))
                throw new BulwarkException(ErrorKind.Refused, $"{folder} is a file; the file '{stored}' needs a folder there; nothing was restored",
                    "choose another --files-to folder");
            return; // missing: nothing below it exists yet
        }
    }

    /// <summary>Creates the folders on the way to a file one level at a time, following no link.</summary>
    private static void CreateFolders(string root, string target, string stored)
    {
        Directory.CreateDirectory(root); // the folder the user named: a link there is theirs to follow
        foreach (var folder in FoldersBelow(root, target))
        {
            if (!IsLink(folder) && !Directory.Exists(folder))
                Directory.CreateDirectory(folder); // its parent exists and is no link: creates this one level only
            if (IsLink(folder))
                throw new BulwarkException(ErrorKind.Refused,
                    $"{folder} is a symbolic link; restoring '{stored}' through it could write outside {root}",
                    "restore into an empty --files-to folder and copy the files into place yourself");
        }
    }

    /// <summary>True for a symbolic link (lstat: the link itself, whether or not what it points to exists).</summary>
    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private static List<StreamEntry> Choose(Snapshot snapshot, IReadOnlyList<StreamEntry> streams, IReadOnlyList<string> only)
    {
        if (only.Count == 0)
            return streams.ToList();
        var chosen = new List<StreamEntry>();
        foreach (var raw in only)
        {
            var wanted = raw.Replace('\\', '/').Trim().TrimStart('/');
            if (wanted.StartsWith(FileStreams.Prefix, StringComparison.Ordinal) &&
                streams.All(s => FileStreams.StoredPath(s) != wanted))
                wanted = wanted[FileStreams.Prefix.Length..];
            var folder = wanted.TrimEnd('/') + "/";
            var matches = streams.Where(s => FileStreams.StoredPath(s) == wanted ||
                                             FileStreams.StoredPath(s).StartsWith(folder, StringComparison.Ordinal)).ToList();
            if (matches.Count == 0)
                throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} holds no file '{raw}'",
                    $"its files are: {string.Join(", ", streams.Take(10).Select(FileStreams.StoredPath))}{(streams.Count > 10 ? ", …" : "")}");
            chosen.AddRange(matches.Where(m => !chosen.Contains(m)));
        }
        return chosen;
    }
}
