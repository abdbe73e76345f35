using Bulwark.Operations.Catalog;
using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;

namespace Bulwark.Operations.Status;

/// <summary>
/// One source in 'bulwark status' (the "sources" list of 'status --json'): its snapshots, its jobs, what its
/// retention keeps, and the age of its last backup against the thresholds of 'check:'.
/// </summary>
public sealed record SourceStatus
{
    /// <summary>The source's name ("default" for the single 'postgres:' form and snapshots that record none).</summary>
    public required string Name { get; init; }

    /// <summary>The source is in the configuration (false: only its snapshots are in the repository).</summary>
    public bool Configured { get; init; } = true;

    /// <summary>The newest snapshot of the source, or null when there is none.</summary>
    public SnapshotSummary? LastBackup { get; init; }

    /// <summary>Age of <see cref="LastBackup"/> at the report's time; null without one.</summary>
    public TimeSpan? LastBackupAge { get; init; }

    /// <summary>
    /// The backup-age check of this source alone: OK, WARNING or CRITICAL against 'check.backup-age-warning' and
    /// '-critical' (CRITICAL when it has no backup), with its one line.
    /// </summary>
    public required HealthStatus BackupAgeStatus { get; init; }
    public required string BackupAgeSummary { get; init; }

    /// <summary>The thresholds the age is measured against (null: that level is off).</summary>
    public TimeSpan? BackupAgeWarning { get; init; }
    public TimeSpan? BackupAgeCritical { get; init; }

    public int Snapshots { get; init; }

    /// <summary>The source's last snapshots (up to 30), oldest first: the trend of sizes and durations.</summary>
    public IReadOnlyList<SnapshotSummary> Recent { get; init; } = [];

    /// <summary>Every snapshot of the source taken in the last 90 days, oldest first (sizes, durations, bytes added).</summary>
    public IReadOnlyList<SnapshotSummary> History { get; init; } = [];

    /// <summary>Restore drills of the source's snapshots in the last 90 days, oldest first.</summary>
    public IReadOnlyList<DrillStatus> Drills { get; init; } = [];

    /// <summary>The point-in-time recovery window, when a WAL archive of this source gives one.</summary>
    public Wal.PitrWindow? Pitr { get; init; }

    /// <summary>The scheduled jobs of this source (its backup and drill), with their next and last runs.</summary>
    public IReadOnlyList<JobStatus> Jobs { get; init; } = [];

    /// <summary>What cleanup would do now to this source's snapshots, by its own policy.</summary>
    public RetentionStatus? Retention { get; init; }
}
