using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Maintenance;

/// <summary>The trace a cleanup leaves before it sweeps (see <see cref="BackupRepository.CommitSnapshotAsync(SnapshotManifest, Locking.RepositoryLock, TimeSpan, CancellationToken)"/>).</summary>
public sealed record SweepRecord
{
    public required DateTimeOffset Time { get; init; }
    public required string Host { get; init; }
    /// <summary>The id of the cleanup's prune lock.</summary>
    public required string Lock { get; init; }
}
