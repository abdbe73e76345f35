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
    /// <summary>Snapshots per <see cref="SnapshotSummary.Label"/>: source, database, "physical" for base backups, or source kind.</summary>
    public IReadOnlyDictionary<string, int> Databases { get; init; } = new Dictionary<string, int>();
    /// <summary>The last snapshots (up to 30) of the newest snapshot's database, oldest first: the trend of sizes and durations.</summary>
    public IReadOnlyList<SnapshotSummary> Recent { get; init; } = [];
    public required string TimeZone { get; init; }
    public IReadOnlyList<JobStatus> Jobs { get; init; } = [];
    public RetentionStatus? Retention { get; init; }
    /// <summary>What a point-in-time recovery can reach; null without a base backup and WAL after it.</summary>
    public Wal.PitrWindow? Pitr { get; init; }

    /// <summary>
    /// Per source, in the order of the configuration, then sources that only the repository still holds snapshots
    /// of. The fields above stay for one source (the newest snapshot overall, the repository's totals).
    /// </summary>
    public IReadOnlyList<SourceStatus> Sources { get; init; } = [];
    public HealthReport? Health { get; init; }
    /// <summary>Each ruleset with versions: the active version per environment and its last activations.</summary>
    public IReadOnlyList<RulesetStatus> Rulesets { get; init; } = [];
    /// <summary>Modules on disk whose content changed without a version bump (or whose version went backwards).</summary>
    public IReadOnlyList<ModuleProblem> ModuleConflicts { get; init; } = [];
    /// <summary>What could not be read (the repository unreachable, a bad retention policy, …).</summary>
    public IReadOnlyList<string> Errors { get; init; } = [];
}
