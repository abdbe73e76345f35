namespace Bulwark.Repository.Snapshots;

/// <summary>The objects of one kind: how many, and the order-independent hash of their definitions.</summary>
public sealed record ObjectGroupFingerprint
{
    public required int Count { get; init; }
    public required string Hash { get; init; }
}
