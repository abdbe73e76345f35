using Bulwark.Repository.Snapshots;

namespace Bulwark.Sources.Postgres;

/// <summary>The streams a database backup stored, and the facts for its manifest.</summary>
public sealed record PostgresBackupResult(
    IReadOnlyList<StreamEntry> Streams,
    SourceInfo Source,
    IReadOnlyDictionary<string, string> Tools,
    PgServerFacts Facts);
