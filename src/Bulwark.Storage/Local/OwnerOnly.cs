namespace Bulwark.Storage.Local;

/// <summary>
/// Files and folders that only their owner may read (0600 and 0700), whatever the umask: repository objects, the
/// configuration and the state folder hold data and secrets other local users must not see. The mode is passed to
/// open/mkdir, so nothing is readable by others even for a moment. On Windows the folder's ACLs apply as before.
/// </summary>
public static class OwnerOnly
{
    /// <summary>0600.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>0700.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Every permission bit of group and others (077).</summary>
    public const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                              UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates a folder and its missing parents as 0700; an existing folder keeps its mode.</summary>
    public static DirectoryInfo CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
            return Directory.CreateDirectory(path);
        // Directory.CreateDirectory(path, mode) gives the mode to the last folder only, its new parents get the umask's.
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        var missing = new Stack<string>();
        for (var folder = full; !Directory.Exists(folder); folder = Path.GetDirectoryName(folder)!)
        {
            missing.Push(folder);
            if (Path.GetDirectoryName(folder) is null)
                break;
        }
        foreach (var folder in missing)
            Directory.CreateDirectory(folder, FolderMode);
        return new DirectoryInfo(full);
    }

    /// <summary>Options that create the file as 0600 (an existing file keeps its mode).</summary>
    public static FileStreamOptions Options(System.IO.FileMode mode, FileAccess access, FileShare share = FileShare.None,
        int bufferSize = 4096)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = share, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = FileMode;
        return options;
    }

    /// <summary>The group and other bits of a file or folder, or none on Windows or when it is not there.</summary>
    public static UnixFileMode OpenToOthers(string path)
    {
        if (OperatingSystem.IsWindows() || (!File.Exists(path) && !Directory.Exists(path)))
            return 0;
        return File.GetUnixFileMode(path) & GroupOrOthers;
    }
}
