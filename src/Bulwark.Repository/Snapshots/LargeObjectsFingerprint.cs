namespace Bulwark.Repository.Snapshots;

/// <summary>The large objects: how many, and the order-independent hash of (oid, content) of each.</summary>
public sealed record LargeObjectsFingerprint
{
    public required long Count { get; init; }
    public required string Hash { get; init; }
    public long Bytes { get; init; }
}
