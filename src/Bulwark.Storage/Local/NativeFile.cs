using System.Runtime.InteropServices;

namespace Bulwark.Storage.Local;

/// <summary>
/// The syncs .NET does not expose: fsync of a directory (a rename is durable only once its folder is synced) and syncfs
/// (every file and folder written on a file system, for a restored data directory).
/// </summary>
internal static partial class NativeFile
{
    private const int ReadOnly = 0;
    // O_DIRECTORY differs by architecture: 0x10000 on x64 (the generic Linux value), 0x4000 on arm64, arm and ppc64le,
    // where 0x10000 is O_DIRECT, which a folder refuses (EINVAL): 'init' failed so on linux-arm64 (tools/arm64/cross-check).
    private static readonly int Directory =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le ? 0x4000 : 0x10000;

    [LibraryImport("libc", SetLastError = true, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "syncfs")]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "close")]
    private static partial int Close(int fd);

    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsLinux())
            WithFolder(path, fd => Fsync(fd) == 0 ? null : $"cannot sync folder {path}");
    }

    /// <summary>Writes back every file and folder of the file system that holds <paramref name="path"/> (Linux).</summary>
    public static void SyncFileSystem(string path) =>
        WithFolder(path, fd => SyncFs(fd) == 0 ? null : $"cannot sync the file system of {path}");

    /// <summary>Opens the folder, runs <paramref name="sync"/> on it (its failure, or null) and closes it.</summary>
    private static void WithFolder(string path, Func<int, string?> sync)
    {
        var fd = Open(path, ReadOnly | Directory);
        if (fd < 0)
            throw new IOException($"cannot open folder {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (sync(fd) is { } failure)
                throw new IOException($"{failure} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
