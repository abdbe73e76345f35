using System.Runtime.CompilerServices;

namespace Bulwark.Storage.Local;

/// <summary>
/// Objects as files below a root folder. A put is an <see cref="AtomicFile"/> write (temporary file in the target
/// folder, fsync, rename, fsync of the folder), so an object is either wholly there or absent, also after a power
/// loss. Folders are created 0700 and files 0600 (<see cref="OwnerOnly"/>), whatever the umask.
/// </summary>
public sealed class LocalBackend : IStorageBackend
{
    /// <summary>
    /// A file whose name ends so is never an object (format v1): the temporary files of <see cref="AtomicFile"/>, and
    /// the "NAME.&lt;12 hex digits&gt;.tmp" ones of earlier builds, are skipped by listings and swept by cleanup.
    /// </summary>
    private const string TempSuffix = ".tmp";
    private readonly string _root;

    public LocalBackend(string root)
    {
        _root = Path.GetFullPath(root);
        Capabilities = StorageCapabilities.Local(_root);
    }

    public string Location => _root;

    public StorageCapabilities Capabilities { get; }

    public Task CreateAsync(CancellationToken cancellationToken)
    {
        try
        {
            OwnerOnly.CreateFolder(_root);
            return Task.CompletedTask;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StorageException($"cannot create folder {_root}: {e.Message}", transient: false,
                "check the path and the permissions of its parent folder", e);
        }
    }

    public Task CreateFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken)
    {
        var parents = new HashSet<string>(StringComparer.Ordinal);
        foreach (var prefix in prefixes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = PathOf(prefix.TrimEnd('/'));
            try
            {
                OwnerOnly.CreateFolder(path);
                parents.Add(Path.GetDirectoryName(path)!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw Failure("create folder", prefix, e);
            }
        }
        // A chunk's put syncs its own folder; the folder's entry in its parent is made durable here.
        foreach (var parent in parents)
        {
            try
            {
                NativeFile.SyncDirectory(parent);
            }
            catch (IOException e)
            {
                throw Failure("sync folder", Path.GetRelativePath(_root, parent), e);
            }
        }
        return Task.CompletedTask;
    }

    public Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        PutAsync(name, data, AtomicWriteOptions.Default, cancellationToken);

    /// <summary>
    /// Created under its own name (O_EXCL), written and fsynced: no temporary file and no rename. A file already there
    /// (cut off by a crash, or a writer beside this one) is replaced whole, as <see cref="PutAsync(string, ReadOnlyMemory{byte}, CancellationToken)"/> does.
    /// </summary>
    public async Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        FileStream? file = null;
        try
        {
            try
            {
                file = CreateNew(path);
            }
            catch (DirectoryNotFoundException)
            {
                CreateFolderDurably(Path.GetDirectoryName(path)!);
                file = CreateNew(path);
            }
        }
        catch (IOException) when (File.Exists(path))
        {
            // Already there: replaced whole below.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("write", name, e);
        }
        if (file is null)
        {
            await PutAsync(name, data, FolderSyncedLater, cancellationToken).ConfigureAwait(false);
            return;
        }
        try
        {
            using (file)
            {
                file.Write(data.Span);
                file.Flush(flushToDisk: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // What was written stays: a later put of this name replaces it, and nothing refers to it meanwhile.
            throw Failure("write", name, e);
        }

        static FileStream CreateNew(string path) =>
            new(path, OwnerOnly.Options(FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0));
    }

    public Task SyncFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        // Side by side: on a file system without a journal each is a synchronous write of the folder.
        Parallel.ForEachAsync(prefixes, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, (prefix, _) =>
        {
            try
            {
                NativeFile.SyncDirectory(PathOf(prefix.TrimEnd('/')));
            }
            catch (IOException e)
            {
                throw Failure("sync folder", prefix, e);
            }
            return ValueTask.CompletedTask;
        });

    /// <summary>
    /// Creates a put's folder when it is missing (init creates them all; this is for one removed by hand) and syncs the
    /// parent of each folder it created, so that the folder's entry is as durable as the file put into it.
    /// </summary>
    private static void CreateFolderDurably(string folder)
    {
        var missing = new Stack<string>();
        for (var at = folder; !Directory.Exists(at) && Path.GetDirectoryName(at) is { } parent; at = parent)
            missing.Push(at);
        if (missing.Count == 0)
            return;
        OwnerOnly.CreateFolder(folder);
        foreach (var created in missing)
            NativeFile.SyncDirectory(Path.GetDirectoryName(created)!);
    }

    private static readonly AtomicWriteOptions FolderSyncedLater = new() { SyncDirectory = false };

    private async Task PutAsync(string name, ReadOnlyMemory<byte> data, AtomicWriteOptions options, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        try
        {
            CreateFolderDurably(Path.GetDirectoryName(path)!);
            // A rewrite renames a new file into place, so it renews the object's modification time.
            await AtomicFile.WriteAsync(path, data, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("write", name, e);
        }
    }

    public async Task<byte[]> GetAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(_root, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("read", name, e);
        }
    }

    public Task<ArraySegment<byte>> GetAsync(string name, byte[] buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(name);
        try
        {
            using var handle = File.OpenHandle(path);
            var length = RandomAccess.GetLength(handle);
            if (length > buffer.Length)
                return Task.FromResult(new ArraySegment<byte>(File.ReadAllBytes(path)));
            // Synchronous: readers call this on a pool thread, many at once, and a local read rarely waits.
            var read = 0;
            int n;
            while (read < length && (n = RandomAccess.Read(handle, buffer.AsSpan(read, (int)length - read), read)) > 0)
                read += n;
            return Task.FromResult(new ArraySegment<byte>(buffer, 0, read));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ObjectNotFoundException(_root, name);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("read", name, e);
        }
    }

    public Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        var info = new FileInfo(PathOf(name));
        try
        {
            return Task.FromResult<StorageObjectInfo?>(info.Exists
                ? new StorageObjectInfo(name, info.Length, info.LastWriteTimeUtc)
                : null);
        }
        catch (FileNotFoundException)
        {
            return Task.FromResult<StorageObjectInfo?>(null); // deleted between the existence check and the stat
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("stat", name, e);
        }
    }

    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A prefix is a folder ("chunks/") or a folder plus the start of a file name.
        var slash = prefix.LastIndexOf('/');
        var folderPart = slash < 0 ? "" : prefix[..slash];
        var namePart = slash < 0 ? prefix : prefix[(slash + 1)..];
        var folder = folderPart.Length == 0 ? _root : Path.Combine(_root, folderPart);
        cancellationToken.ThrowIfCancellationRequested();
        if (!Directory.Exists(folder))
            yield break;
        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false };
        IEnumerable<FileInfo> files;
        try
        {
            files = new DirectoryInfo(folder).EnumerateFiles(namePart.Length == 0 ? "*" : namePart + "*", options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("list", prefix, e);
        }
        foreach (var file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (file.Name.EndsWith(TempSuffix, StringComparison.Ordinal))
                continue;
            var relative = Path.GetRelativePath(_root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
            if (!relative.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            long length;
            DateTime modified;
            try
            {
                // Size and time are read now (a stat): an object deleted since the folder was read is simply not listed.
                length = file.Length;
                modified = file.LastWriteTimeUtc;
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            yield return new StorageObjectInfo(relative, length, modified);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        try
        {
            File.Delete(path);
            return Task.CompletedTask;
        }
        catch (DirectoryNotFoundException)
        {
            return Task.CompletedTask;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failure("delete", name, e);
        }
    }

    /// <summary>Removes temporary files older than <paramref name="age"/> that a crashed writer left behind.</summary>
    public int RemoveAbandonedTemporaryFiles(TimeSpan age, DateTimeOffset now)
    {
        if (!Directory.Exists(_root))
            return 0;
        var removed = 0;
        // AtomicFile's temporary names start with a dot, which .NET counts as hidden and skips by default.
        foreach (var file in new DirectoryInfo(_root).EnumerateFiles("*" + TempSuffix,
                     new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (now - file.LastWriteTimeUtc > age)
            {
                TryDelete(file.FullName);
                removed++;
            }
        }
        return removed;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private string PathOf(string name)
    {
        ObjectNames.Validate(name);
        return Path.Combine(_root, name.Replace('/', Path.DirectorySeparatorChar));
    }

    private StorageException Failure(string action, string name, Exception e)
    {
        var full = e is UnauthorizedAccessException;
        var noSpace = e is IOException io && (io.HResult & 0xFFFF) == 28; // ENOSPC
        var advice = full ? "check the permissions of the repository folder"
            : noSpace ? "free disk space where the repository lives"
            : null;
        return new StorageException($"cannot {action} '{name}' in {_root}: {e.Message}", transient: false, advice, e);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
