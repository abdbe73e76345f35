using System.Runtime.InteropServices;

namespace Bulwark.Storage.Local;

/// <summary>fsync of a directory, which .NET does not expose: a rename is durable only once its folder is synced.</summary>
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

    [LibraryImport("libc", SetLastError = true, EntryPoint = "close")]
    private static partial int Close(int fd);

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
