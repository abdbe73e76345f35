using Bulwark.Storage.Local;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// A temporary archive for pg_restore, which needs a file it can seek in for --jobs: created 0600 in the spool folder
/// (the system's temporary folder when none is set), removed on dispose. Its name holds the process id, which tells
/// a later sweep of the state folder that the file is still in use.
/// </summary>
internal sealed class RestoreSpool : IDisposable
{
    private readonly List<string> _lists = [];

    private RestoreSpool(string path)
    {
        Path = path;
    }

    /// <summary>The file's full path, for pg_restore's command line.</summary>
    public string Path { get; }

    /// <summary>Names a new spool file in <paramref name="folder"/>, creating the folder (0700) when it is missing.</summary>
    public static RestoreSpool Create(string? folder)
    {
        folder ??= System.IO.Path.GetTempPath();
        OwnerOnly.CreateFolder(folder);
        return new RestoreSpool(System.IO.Path.Combine(folder, $"bulwark-restore-{Environment.ProcessId}-{Guid.NewGuid():N}.dump"));
    }

    /// <summary>Creates the file (it must not exist) for writing, readable by its owner only.</summary>
    public FileStream OpenWrite() => new(Path, new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>Writes a list of archive items for pg_restore's --use-list beside the spool file (0600), removed with it.</summary>
    public async Task<string> WriteListAsync(IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path)!,
            $"bulwark-restore-{Environment.ProcessId}-{Guid.NewGuid():N}.list");
        lock (_lists)
            _lists.Add(path);
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await using (file.ConfigureAwait(false))
        await using (var writer = new StreamWriter(file))
        {
            foreach (var line in lines)
                await writer.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        return path;
    }

    public void Dispose()
    {
        File.Delete(Path);
        lock (_lists)
        {
            foreach (var list in _lists)
                File.Delete(list);
        }
    }
}
