using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Snapshots;

/// <summary>A snapshot and its latest drill; null when it was never drilled.</summary>
public sealed record SnapshotDetails(Snapshot Snapshot, ProofRecord? LatestDrill);
