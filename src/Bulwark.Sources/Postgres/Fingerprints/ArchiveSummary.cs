using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>What reading a whole archive found: its header, its table of contents, and the fingerprints.</summary>
public sealed record ArchiveSummary(ArchiveHeader Header, IReadOnlyList<ArchiveTocEntry> Entries, DatabaseFingerprints Fingerprints)
{
    /// <summary>
    /// Tables ("schema.name") whose data this archive copies with the same columns as the dump it was read against
    /// but in another order; their rows were hashed in that dump's order (matched by column name).
    /// </summary>
    public IReadOnlyList<string> ColumnOrderChanged { get; init; } = [];

    public IReadOnlyList<SchemaObject> Objects => SchemaObject.FromEntries(Entries);
}
