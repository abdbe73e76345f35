using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Operations.Restore;

/// <summary>What 'bulwark restore --to-dir' restores, where, and how far recovery goes.</summary>
public sealed record PhysicalRestoreRequest
{
    /// <summary>"latest", an id prefix or a full id; null to choose: the newest base backup (that ended before the target time, with one).</summary>
    public string? Snapshot { get; init; }
    /// <summary>The data folder to write: new or empty.</summary>
    public required string Directory { get; init; }
    public RecoveryTarget Target { get; init; } = RecoveryTarget.End;
    /// <summary>recovery_target_timeline: "latest" (null), "current" or a timeline number (see <see cref="RecoveryConfig.Timeline"/>).</summary>
    public string? Timeline { get; init; }
    /// <summary>Start a server on the folder, wait for the end of recovery, and leave it running.</summary>
    public bool Start { get; init; }
    /// <summary>With <see cref="Start"/>: its TCP port on 127.0.0.1 (null for a free one).</summary>
    public int? Port { get; init; }
    /// <summary>The restore_command to write instead of this program's 'wal fetch' (an archive of another kind).</summary>
    public string? RestoreCommand { get; init; }
}
