using Bulwark.Operations.Catalog;
using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;

namespace Bulwark.Operations.Status;

/// <summary>Everything 'bulwark status' shows on one screen.</summary>
public sealed record StatusReport
{
    public required DateTimeOffset Time { get; init; }
    public string? Repository { get; init; }
    /// <summary>The newest snapshot, or null when there is none.</summary>
    public SnapshotSummary? LastBackup { get; init; }
    public int Snapshots { get; init; }
    /// <summary>Snapshots per database (or per source kind when there is no database).</summary>
    public IReadOnlyDictionary<string, int> Databases { get; init; } = new Dictionary<string, int>();
    /// <summary>The last snapshots (up to 30) of the newest snapshot's database, oldest first: the trend of sizes and durations.</summary>
    public IReadOnlyList<SnapshotSummary> Recent { get; init; } = [];
    /// <summary>The snapshots of the last <see cref="StatusOperation.HistoryDays"/> days, oldest first: the dashboard's charts.</summary>
    public IReadOnlyList<SnapshotSummary> History { get; init; } = [];
    /// <summary>'check.backup-age-warning' and '-critical': the age the last backup is measured against.</summary>
    public TimeSpan? BackupAgeWarning { get; init; }
    public TimeSpan? BackupAgeCritical { get; init; }
    /// <summary>Restore drills of the last <see cref="StatusOperation.HistoryDays"/> days, oldest first.</summary>
    public IReadOnlyList<DrillStatus> Drills { get; init; } = [];
    /// <summary>The point-in-time recovery window, when a WAL archive gives one.</summary>
    public PitrWindow? Pitr { get; init; }
    public required string TimeZone { get; init; }
    public IReadOnlyList<JobStatus> Jobs { get; init; } = [];
    public RetentionStatus? Retention { get; init; }
    public HealthReport? Health { get; init; }
    public IReadOnlyList<RulesetStatus> Rulesets { get; init; } = [];
    public IReadOnlyList<ModuleProblem> ModuleConflicts { get; init; } = [];
    /// <summary>What could not be read (the repository unreachable, a bad retention policy, …).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}
