namespace Bulwark.Repository.Snapshots;

/// <summary>
/// What a physical snapshot (a base backup) needs to be recovered, and what WAL retention needs to keep: the WAL from
/// <see cref="StartLsn"/> on <see cref="Timeline"/> up to the present. LSNs are in PostgreSQL's text form ("0/2000028").
/// </summary>
public sealed record PhysicalBackupInfo
{
    /// <summary>Where the backup's WAL starts (the checkpoint's redo point): WAL before it is not needed to recover it.</summary>
    public required string StartLsn { get; init; }
    /// <summary>Where the backup's WAL ends: recovery must replay at least this far to reach a consistent state.</summary>
    public required string StopLsn { get; init; }
    /// <summary>The timeline the backup started on.</summary>
    public required int Timeline { get; init; }
    /// <summary>The name of the WAL segment that holds <see cref="StartLsn"/> (e.g. 000000010000000000000002).</summary>
    public required string StartWalFile { get; init; }
    /// <summary>The name of the WAL segment that holds <see cref="StopLsn"/>.</summary>
    public string? StopWalFile { get; init; }
    /// <summary>The cluster's system identifier (pg_control_system()): WAL of another cluster cannot recover this backup.</summary>
    public required string SystemIdentifier { get; init; }
    /// <summary>server_version_num of the server, e.g. 150018.</summary>
    public required int ServerVersionNumber { get; init; }
    /// <summary>The server's time when the backup started and ended (from backup_label and the stop).</summary>
    public required DateTimeOffset StartTime { get; init; }
    public required DateTimeOffset StopTime { get; init; }
    /// <summary>WAL segment size in bytes (wal_segment_size).</summary>
    public long WalSegmentSize { get; init; } = 16 * 1024 * 1024;
    /// <summary>The text of backup_label as the server wrote it.</summary>
    public required string BackupLabel { get; init; }
    /// <summary>"fetch" when the WAL from start to stop is inside the snapshot (restorable without the archive), "none" otherwise.</summary>
    public required string WalIncluded { get; init; }
    /// <summary>The files of the data directory, in the order of the tar stream (the streams hold their contents).</summary>
    public required IReadOnlyList<PhysicalFileEntry> Files { get; init; }

    /// <summary>Streams of a physical snapshot are named this prefix + the file's path.</summary>
    public const string StreamPrefix = "pgdata/";
    /// <summary>The kind of those streams.</summary>
    public const string StreamKind = "pg_basebackup-file";
}

/// <summary>
/// One member of the base backup's tar stream. A file's content is the stream named <see cref="PhysicalBackupInfo.StreamPrefix"/>
/// + <see cref="Path"/>, which holds its size and SHA-256.
/// </summary>
public sealed record PhysicalFileEntry
{
    /// <summary>Path relative to the data directory, with '/' separators.</summary>
    public required string Path { get; init; }
    /// <summary>"file", "directory" or "symlink".</summary>
    public required string Type { get; init; }
    /// <summary>Unix permission bits, octal text ("600").</summary>
    public required string Mode { get; init; }
    /// <summary>For a symlink: where it points.</summary>
    public string? LinkTarget { get; init; }

    public const string FileType = "file";
    public const string DirectoryType = "directory";
    public const string SymlinkType = "symlink";
}
