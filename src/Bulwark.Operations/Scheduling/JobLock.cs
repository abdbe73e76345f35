using System.Collections.Concurrent;
using System.Globalization;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// "This job is running": an advisory lock on STATE/jobs/NAME.lock, held by an open file (.NET takes flock on
/// Unix for FileShare.None), so the kernel releases it when the process dies; plus an in-process set, so two
/// threads of one daemon never run the same job either. Who holds it is written beside it, for messages.
/// </summary>
public sealed class JobLock : IDisposable
{
    private static readonly ConcurrentDictionary<string, byte> HeldHere = new(StringComparer.Ordinal);
    private readonly FileStream _file;
    private readonly string _path;

    private JobLock(FileStream file, string path)
    {
        _file = file;
        _path = path;
    }

    public static JobLock? TryAcquire(string folder, string job, DateTimeOffset now, out string? holder)
    {
        holder = null;
        OwnerOnly.CreateFolder(folder);
        var path = Path.GetFullPath(Path.Combine(folder, job + ".lock"));
        var info = path + ".holder";
        if (!HeldHere.TryAdd(path, 0))
        {
            holder = ReadHolder(info) ?? "this process";
            return null;
        }
        try
        {
            var file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.OpenOrCreate,
                Access = FileAccess.ReadWrite,
                Share = FileShare.None,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            try
            {
                AtomicFile.WriteText(info, string.Create(CultureInfo.InvariantCulture,
                    $"process {Environment.ProcessId} on {Environment.MachineName} since {now:u}"));
            }
            catch (IOException)
            {
                // only the message suffers
            }
            return new JobLock(file, path);
        }
        catch (IOException e) when (HeldByAnother(e))
        {
            HeldHere.TryRemove(path, out _);
            holder = ReadHolder(info) ?? "another process";
            return null;
        }
        catch
        {
            HeldHere.TryRemove(path, out _);
            throw;
        }
    }

    /// <summary>
    /// The lock is taken (FileShare.None is flock(LOCK_EX | LOCK_NB) on Unix): .NET reports EWOULDBLOCK as the error
    /// number, Windows a sharing violation. Any other error (a read-only file system, a broken path) is not "running".
    /// </summary>
    private static bool HeldByAnother(IOException e) =>
        e.HResult == (OperatingSystem.IsWindows() ? unchecked((int)0x80070020) : OperatingSystem.IsLinux() ? 11 : 35);

    private static string? ReadHolder(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        // While still holding the lock, so that the next holder's name is never the one removed.
        try
        {
            File.Delete(_path + ".holder");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // only the message suffers
        }
        _file.Dispose();
        HeldHere.TryRemove(_path, out _);
    }
}
