using Bulwark.Repository.Snapshots;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>What a base backup stored: a stream per file, and the facts its manifest records.</summary>
public sealed record PhysicalBackupResult(
    IReadOnlyList<StreamEntry> Streams,
    SourceInfo Source,
    IReadOnlyDictionary<string, string> Tools,
    PhysicalBackupInfo Info);
