using Bulwark.Repository.Maintenance;

namespace Bulwark.Operations.Retention;

/// <summary>What a cleanup decided (per snapshot, with reasons) and what the garbage collection did.</summary>
public sealed record CleanupResult(RetentionPolicy Policy, RetentionPlan Plan, GarbageCollectionReport Collection,
    string Repository)
{
    /// <summary>The WAL step; null when the repository holds no WAL.</summary>
    public Wal.WalCleanup? Wal { get; init; }

    /// <summary>The bytes freed (to free, in a dry run): snapshots' chunks and the WAL files removed.</summary>
    public long BytesFreed => Collection.BytesFreed + (Wal is { Skipped: null } wal ? wal.StoredBytes : 0);
}
