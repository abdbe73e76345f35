namespace Bulwark.Storage.Local;

/// <summary>How <see cref="AtomicFile"/> writes a file. The defaults suit state files: replace, 0600, sync the folder.</summary>
public sealed record AtomicWriteOptions
{
    /// <summary>The defaults.</summary>
    public static AtomicWriteOptions Default { get; } = new();

    /// <summary>False: an existing target (file, folder or link) is an error, and nothing is written.</summary>
    public bool Overwrite { get; init; } = true;

    /// <summary>The mode of the new file; null for 0600 (<see cref="OwnerOnly.FileMode"/>). Ignored on Windows.</summary>
    public UnixFileMode? Mode { get; init; }

    /// <summary>The target keeps the mode of the file it replaces (<see cref="Mode"/> is then for a new file only).</summary>
    public bool KeepExistingMode { get; init; }

    /// <summary>The modification time of the new file; null for the time of the write.</summary>
    public DateTime? LastWriteTimeUtc { get; init; }

    /// <summary>False when the caller syncs the folder itself, once for many files (<see cref="AtomicFile.SyncDirectory"/>).</summary>
    public bool SyncDirectory { get; init; } = true;
}
