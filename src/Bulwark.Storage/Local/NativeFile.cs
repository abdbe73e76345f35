using System.Runtime.InteropServices;

namespace Bulwark.Storage.Local;

/// <summary>
/// The file system calls .NET does not expose: fsync of a directory (a rename is durable only once its folder is
/// synced), syncfs (one sync for every file written on a file system) and a rename that never replaces.
/// </summary>
internal static partial class NativeFile
{
    private const int ReadOnly = 0;
    // O_DIRECTORY differs by architecture: 0x10000 on x64 (the generic Linux value), 0x4000 on arm64, arm and ppc64le,
    // where 0x10000 is O_DIRECT, which a folder refuses (EINVAL): 'init' failed so on linux-arm64 (tools/arm64/cross-check).
    private static readonly int Directory =
        RuntimeInformation.ProcessArchitecture is Architecture.Arm64 or Architecture.Arm or Architecture.Ppc64le ? 0x4000 : 0x10000;
    private const int CurrentDirectory = -100; // AT_FDCWD
    private const uint NoReplace = 1; // RENAME_NOREPLACE
    private const int Exists = 17; // EEXIST
    private const int Interrupted = 4; // EINTR

    [LibraryImport("libc", SetLastError = true, EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "syncfs")]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(SafeHandle fd, long offset, long length, uint flags);

    /// <summary>
    /// Starts writing a file's dirty pages back without waiting for them (sync_file_range with SYNC_FILE_RANGE_WRITE). It
    /// makes nothing durable; a failure here is left to the later sync, which reports it.
    /// </summary>
    public static void StartWriteBack(SafeHandle file) => _ = SyncFileRange(file, 0, 0, 2);

    [LibraryImport("libc", SetLastError = true, EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2(int fromFolder, string from, int toFolder, string to, uint flags);

    /// <summary>Opens a folder for <see cref="SyncFileSystem"/>; the descriptor is closed with <see cref="CloseFolder"/>.</summary>
    public static int OpenFolder(string path)
    {
        var fd = Open(path, ReadOnly | Directory);
        if (fd < 0)
            throw new IOException($"cannot open folder {path} (errno {Marshal.GetLastPInvokeError()})");
        return fd;
    }

    public static void CloseFolder(int fd) => _ = Close(fd);

    /// <summary>
    /// Writes back every file and folder of the file system that holds the open folder <paramref name="fd"/>, and fails
    /// when a write-back on it failed since the descriptor was opened (Linux 5.8 and later).
    /// </summary>
    public static void SyncFileSystem(int fd, string path)
    {
        if (SyncFs(fd) != 0)
            throw new IOException($"cannot sync the file system of {path} (errno {Marshal.GetLastPInvokeError()})");
    }

    /// <summary>
    /// Renames <paramref name="from"/> to <paramref name="to"/> unless <paramref name="to"/> exists; false when it exists
    /// or the file system cannot rename so (then nothing changed).
    /// </summary>
    public static bool RenameNoReplace(string from, string to)
    {
        while (true)
        {
            if (RenameAt2(CurrentDirectory, from, CurrentDirectory, to, NoReplace) == 0)
                return true;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == Interrupted)
                continue;
            // EINVAL or ENOSYS: a file system or kernel without RENAME_NOREPLACE.
            if (errno is Exists or 22 or 38)
                return false;
            throw new IOException($"cannot rename {from} to {to} (errno {errno})");
        }
    }

    public static void SyncDirectory(string path)
    {
        if (!OperatingSystem.IsLinux())
            return;
        var fd = Open(path, ReadOnly | Directory);
        if (fd < 0)
            throw new IOException($"cannot open folder {path} to sync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"cannot sync folder {path} (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
