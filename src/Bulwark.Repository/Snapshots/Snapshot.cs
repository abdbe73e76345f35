namespace Bulwark.Repository.Snapshots;

/// <summary>A committed snapshot: its id and manifest.</summary>
public sealed record Snapshot(ObjectId Id, SnapshotManifest Manifest)
{
    public string ShortId => Id.ToShortString();
}
