namespace Bulwark.Operations.Restore;

/// <summary>What 'bulwark restore --to-dir' wrote, and where recovery ended when it started the server.</summary>
public sealed record PhysicalRestoreResult
{
    public required string Snapshot { get; init; }
    public required string Directory { get; init; }
    /// <summary>"the end of the archive", a time, "LSN …" or "restore point '…'".</summary>
    public required string Target { get; init; }
    public required string RestoreCommand { get; init; }
    /// <summary>recovery_target_timeline: "latest", "current" or a number.</summary>
    public string RecoveryTimeline { get; init; } = "latest";
    public required long Bytes { get; init; }
    public required int Files { get; init; }
    public required TimeSpan WriteDuration { get; init; }
    /// <summary>The base backup's start position and timeline.</summary>
    public required string StartLsn { get; init; }
    public required int Timeline { get; init; }
    /// <summary>Set when the server was started (--start).</summary>
    public RecoveredServer? Server { get; init; }
}

/// <summary>The server left running on the restored folder, and where its recovery ended.</summary>
public sealed record RecoveredServer
{
    public required int Port { get; init; }
    public required string Host { get; init; }
    public required string SocketDirectory { get; init; }
    public string? ReachedLsn { get; init; }
    /// <summary>The commit time of the last transaction replayed.</summary>
    public DateTimeOffset? ReachedTime { get; init; }
    public required int Timeline { get; init; }
    public required TimeSpan RecoveryDuration { get; init; }
    /// <summary>A psql command that connects (as the user that took the backup), and how to stop the server.</summary>
    public required string Connect { get; init; }
    public required string Stop { get; init; }
    /// <summary>
    /// Whether the server archives WAL into the repository: never for a copy started by --start (archive_mode = off in
    /// its postgresql.auto.conf), so that its timeline does not become the end of the archive.
    /// </summary>
    public bool Archiving { get; init; }
}
