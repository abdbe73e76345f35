namespace Bulwark.Repository.Snapshots;

/// <summary>Where a copied snapshot came from: the source repository's id and the snapshot's id there.</summary>
public sealed record CopyOrigin
{
    public required string Repository { get; init; }
    public required string Snapshot { get; init; }
}
