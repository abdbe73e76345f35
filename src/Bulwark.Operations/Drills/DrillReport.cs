using Bulwark.Sources.Postgres.Fingerprints;

namespace Bulwark.Operations.Drills;

/// <summary>What a restore drill did and found.</summary>
public sealed record DrillReport
{
    public required string Snapshot { get; init; }
    public required string SnapshotId { get; init; }
    public required DateTimeOffset SnapshotTime { get; init; }
    public required bool Passed { get; init; }
    /// <summary>A drill of a base backup: recovered on a temporary server and checked with pg_amcheck (no fingerprints).</summary>
    public bool Physical { get; init; }
    /// <summary>The scratch database and its server (no password).</summary>
    public required string ScratchDatabase { get; init; }
    public required string ScratchServer { get; init; }
    /// <summary>True when the scratch database was left in place (--keep).</summary>
    public bool Kept { get; init; }
    /// <summary>How long the restore took.</summary>
    public required TimeSpan RestoreDuration { get; init; }
    /// <summary>How long gathering statistics took (as 'bulwark restore' does after restoring), when it succeeded.</summary>
    public TimeSpan? AnalyzeDuration { get; init; }
    /// <summary>The recovery time a user would face for this snapshot: the restore, then its statistics.</summary>
    public TimeSpan RecoveryDuration => RestoreDuration + (AnalyzeDuration ?? TimeSpan.Zero);
    /// <summary>Reading the restored database back and comparing.</summary>
    public required TimeSpan CompareDuration { get; init; }
    public required TimeSpan TotalDuration { get; init; }
    /// <summary>Bytes of the dump restored.</summary>
    public required long DumpBytes { get; init; }
    /// <summary>Bytes of row text read back from the restored database.</summary>
    public required long DataBytes { get; init; }
    public required int Tables { get; init; }
    public required long Rows { get; init; }
    public required int Sequences { get; init; }
    public required int Objects { get; init; }
    public long LargeObjects { get; init; }
    /// <summary>Every difference found (the first ones are shown).</summary>
    public required IReadOnlyList<FingerprintDifference> Differences { get; init; }
    /// <summary>What was not compared, and why; what was found that is not a difference.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
    /// <summary>
    /// Tables ("schema.name") restored with the same columns in another order (compared by column name; not a
    /// difference): a dump and restore puts a child table's inherited columns in its parent's order.
    /// </summary>
    public IReadOnlyList<string> ColumnOrderChanged { get; init; } = [];
}
