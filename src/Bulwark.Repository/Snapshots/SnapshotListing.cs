namespace Bulwark.Repository.Snapshots;

/// <summary>Every snapshot whose manifest reads (oldest first), and those whose manifest does not.</summary>
public sealed record SnapshotListing(IReadOnlyList<Snapshot> Snapshots, IReadOnlyList<UnreadableSnapshot> Unreadable);
