using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Backup;

/// <summary>A committed backup.</summary>
public sealed record BackupResult(Snapshot Snapshot, string Repository, string Source);
