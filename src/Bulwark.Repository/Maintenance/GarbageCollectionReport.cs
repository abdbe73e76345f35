using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Maintenance;

/// <summary>What a garbage collection removed and what it spared, and why.</summary>
public sealed record GarbageCollectionReport
{
    public required bool DryRun { get; init; }
    /// <summary>Manifests removed (or, in a dry run, that would be).</summary>
    public required int SnapshotsRemoved { get; init; }
    /// <summary>Chunk objects in the repository when the sweep listed them.</summary>
    public required int ChunksTotal { get; init; }
    /// <summary>Chunks referenced by the remaining snapshots.</summary>
    public required int ChunksReferenced { get; init; }
    /// <summary>Chunks deleted (or, in a dry run, that would be).</summary>
    public required int ChunksDeleted { get; init; }
    /// <summary>Unreferenced chunks younger than the grace period.</summary>
    public required int ChunksKeptYoung { get; init; }
    /// <summary>Unreferenced chunks that an operation running now may have written (or wrote again during the sweep).</summary>
    public required int ChunksKeptForRunningOperations { get; init; }
    /// <summary>Chunks of removed snapshots that an operation running now may still use; a later cleanup removes them.</summary>
    public required int ChunksKeptForForgottenSnapshots { get; init; }
    /// <summary>Bytes of storage freed: chunks and manifests (estimated in a dry run).</summary>
    public required long BytesFreed { get; init; }
    /// <summary>Records of removed snapshots still kept for running operations, and those dropped now.</summary>
    public required int ForgottenRecordsKept { get; init; }
    public required int ForgottenRecordsRemoved { get; init; }
    /// <summary>Live locks of other operations that the sweep respected (descriptions).</summary>
    public required IReadOnlyList<string> RunningOperations { get; init; }
    /// <summary>Stale locks, ignored (their process is gone or they were not refreshed for 30 minutes).</summary>
    public required IReadOnlyList<string> StaleLocksIgnored { get; init; }
    public required int TemporaryFilesRemoved { get; init; }
    /// <summary>Snapshots whose manifest did not read when the collection listed them; never removed.</summary>
    public IReadOnlyList<UnreadableSnapshot> Unreadable { get; init; } = [];
    /// <summary>Why no chunk was collected (a manifest did not read), naming what to do; null when the sweep ran.</summary>
    public string? SweepSkipped { get; init; }
}
