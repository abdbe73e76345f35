using System.Runtime.InteropServices;

namespace Bulwark.Storage.Local;

/// <summary>
/// The calls .NET does not expose: fsync of a directory (a rename is durable only once its folder is synced), syncfs
/// (every file and folder written on a file system, for a restored data directory), and statx relative to an open
/// folder (a lookup that allocates nothing, for <see cref="LocalFolderProbe"/>).
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

    [LibraryImport("libc", SetLastError = true, EntryPoint = "statx")]
    private static partial int Statx(int folder, ref byte path, int flags, uint mask, ref byte result);

    private const int NoAutomount = 0x800; // AT_NO_AUTOMOUNT
    private const uint TypeField = 0x1; // STATX_TYPE
    private const int ModeOffset = 28; // stx_mode: the same on every architecture, unlike struct stat
    private const int StatxSize = 256;
    private const int FileTypeMask = 0xF000, RegularFile = 0x8000;
    private const int NoEntry = 2, NotDirectory = 20, NoSystemCall = 38; // ENOENT, ENOTDIR, ENOSYS

    /// <summary>Opens a folder for <see cref="IsFile"/>; -1 when it does not exist.</summary>
    public static int OpenFolder(string path)
    {
        var fd = OpenFolder(path, out var errno);
        return fd >= 0 || errno is NoEntry or NotDirectory ? fd : throw new IOException($"cannot open folder {path}: {Reason(errno)}");
    }

    /// <summary>Opens a folder read-only: its descriptor, or -1 and why in <paramref name="errno"/>.</summary>
    private static int OpenFolder(string path, out int errno)
    {
        var fd = Open(path, ReadOnly | Directory);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return fd;
    }

    private static string Reason(int errno) => $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})";

    public static void CloseFolder(int fd) => _ = Close(fd);

    /// <summary>
    /// Whether <paramref name="nulTerminatedName"/>, relative to the open <paramref name="folder"/>, is a regular file;
    /// null where the kernel has no statx (the caller asks .NET instead).
    /// </summary>
    public static bool? IsFile(int folder, ReadOnlySpan<byte> nulTerminatedName)
    {
        Span<byte> result = stackalloc byte[StatxSize];
        if (Statx(folder, ref MemoryMarshal.GetReference(nulTerminatedName), NoAutomount, TypeField, ref MemoryMarshal.GetReference(result)) == 0)
            return (BitConverter.ToUInt16(result[ModeOffset..]) & FileTypeMask) == RegularFile;
        return Marshal.GetLastPInvokeError() switch
        {
            NoEntry or NotDirectory => false,
            NoSystemCall => null,
            var errno => throw new IOException($"cannot look up {System.Text.Encoding.UTF8.GetString(nulTerminatedName[..^1])}: {Reason(errno)}"),
        };
    }

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
        var fd = OpenFolder(path, out var errno);
        if (fd < 0)
            throw new IOException($"cannot open folder {path} to sync it: {Reason(errno)}");
        try
        {
            if (sync(fd) is { } failure)
                throw new IOException($"{failure}: {Reason(Marshal.GetLastPInvokeError())}");
        }
        finally
        {
            _ = Close(fd);
        }
    }
}
