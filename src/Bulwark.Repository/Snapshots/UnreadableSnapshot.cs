namespace Bulwark.Repository.Snapshots;

/// <summary>A snapshot whose manifest is listed but cannot be read (damaged, truncated, not decryptable).</summary>
public sealed record UnreadableSnapshot(ObjectId Id, string Error)
{
    public string ShortId => Id.ToShortString();

    /// <summary>The manifest's object name, e.g. snapshots/3f2a….</summary>
    public string Object => RepositoryLayout.SnapshotName(Id);
}
