using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Backup;

/// <summary>A committed backup.</summary>
public sealed record BackupResult(Snapshot Snapshot, string Repository, string Source)
{
    /// <summary>The copy to 'copy-to', when configured.</summary>
    public Copy.CopyResult? Copy { get; init; }
}
