using Bulwark.Operations.Catalog;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Snapshots;

/// <summary>The snapshots of a repository, oldest first, and the latest drill of each (by full id).</summary>
public sealed record SnapshotList(
    IReadOnlyList<SnapshotSummary> Snapshots,
    IReadOnlyList<UnreadableSnapshot> Unreadable,
    IReadOnlyDictionary<string, ProofRecord> LatestDrills)
{
    /// <summary>What a point-in-time recovery can reach; null without a base backup and WAL after it.</summary>
    public Wal.PitrWindow? Pitr { get; init; }
}
