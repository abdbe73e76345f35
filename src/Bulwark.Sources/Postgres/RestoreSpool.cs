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
        return new RestoreSpool(NewPath(folder, "dump"));
    }

    /// <summary>
    /// A new file's path in <paramref name="folder"/>, named as the state sweep knows a restore's temporary files: by
    /// the process that uses them.
    /// </summary>
    public static string NewPath(string folder, string extension) =>
        System.IO.Path.Combine(folder, $"bulwark-restore-{Environment.ProcessId}-{Guid.NewGuid():N}.{extension}");

    /// <summary>Creates the file (it must not exist) for writing, readable by its owner only.</summary>
    public FileStream OpenWrite() => CreateNew(Path);

    /// <summary>Writes <paramref name="text"/> to a new file (it must not exist), readable by its owner only.</summary>
    public static async Task WriteNewAsync(string path, string text, CancellationToken cancellationToken)
    {
        var file = CreateNew(path);
        await using (file.ConfigureAwait(false))
        await using (var writer = new StreamWriter(file))
            await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes a list of archive items for pg_restore's --use-list beside the spool file, removed with it.</summary>
    public async Task<string> WriteListAsync(IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var path = NewPath(System.IO.Path.GetDirectoryName(Path)!, "list");
        lock (_lists)
            _lists.Add(path);
        await WriteNewAsync(path, string.Concat(lines.Select(l => l + "\n")), cancellationToken).ConfigureAwait(false);
        return path;
    }

    private static FileStream CreateNew(string path) => new(path, OwnerOnly.Options(FileMode.CreateNew, FileAccess.Write));

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
