using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>What reading a whole archive found: its header, its table of contents, and the fingerprints.</summary>
public sealed record ArchiveSummary(ArchiveHeader Header, IReadOnlyList<ArchiveTocEntry> Entries, DatabaseFingerprints Fingerprints)
{
    public IReadOnlyList<SchemaObject> Objects => SchemaObject.FromEntries(Entries);
}
