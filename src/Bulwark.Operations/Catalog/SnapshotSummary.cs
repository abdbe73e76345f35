using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Catalog;

/// <summary>
/// The few facts of a snapshot that list, check, status and metrics need, without its list of chunks. Kept in a local
/// cache by snapshot id: a manifest never changes, so a summary never goes stale.
/// </summary>
public sealed record SnapshotSummary
{
    /// <summary>Full id of the snapshot.</summary>
    public required string Id { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required DateTimeOffset EndTime { get; init; }
    public required string Host { get; init; }
    /// <summary>"postgresql" or "files".</summary>
    public required string SourceKind { get; init; }
    public string? Database { get; init; }
    /// <summary>The source's name as the manifest records it (null: the default source).</summary>
    public string? Source { get; init; }
    /// <summary>The connection profile of the source (e.g. "supabase"), when the manifest records one.</summary>
    public string? Profile { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Sum of the stream sizes (the dump's size for a database).</summary>
    public required long Size { get; init; }
    public long? NewBytes { get; init; }
    public long? StoredBytes { get; init; }
    public int Streams { get; init; }
    public int Chunks { get; init; }
    /// <summary>The manifest records module versions.</summary>
    public bool HasModules { get; init; }
    /// <summary>"physical" for a base backup; "logical" (or absent, in older cache entries) for a dump.</summary>
    public string? Kind { get; init; }
    /// <summary>A base backup's start LSN, timeline and server stop time: where the WAL it needs begins.</summary>
    public string? StartLsn { get; init; }
    public int? Timeline { get; init; }
    public string? StartWalFile { get; init; }
    public DateTimeOffset? StopTime { get; init; }
    /// <summary>
    /// The manifest object's size and last write time as the storage listed them when this summary was made: the
    /// summary stands for the manifest while the listing shows the same.
    /// </summary>
    public long? ManifestSize { get; init; }
    public DateTimeOffset? ManifestModified { get; init; }

    public bool IsPhysical => Kind == SnapshotManifest.PhysicalKind;

    public string ShortId => Id.Length > 8 ? Id[..8] : Id;
    public TimeSpan Duration => EndTime - Time;

    /// <summary>Snapshots of one named source, else of one database, age together, base backups apart (as retention groups them).</summary>
    public string Group => IsPhysical
        ? Source is { Length: > 0 } named ? $"{named} (physical)" : "(physical)"
        : Source is { Length: > 0 } source ? source : Database is { Length: > 0 } database ? database : $"({SourceKind})";

    /// <summary>
    /// <see cref="Group"/> as text shows it, where it often stands in parentheses already: "app", "physical" (base
    /// backups), "app/physical", "files".
    /// </summary>
    public string Label => IsPhysical
        ? Source is { Length: > 0 } named ? $"{named}/physical" : "physical"
        : Source is { Length: > 0 } source ? source : Database is { Length: > 0 } database ? database : SourceKind;

    /// <summary>The source this snapshot belongs to (<see cref="Configuration.SourceNames.Default"/> when it records none).</summary>
    public string SourceName => Configuration.SourceNames.FromManifest(Source);

    public static SnapshotSummary From(Snapshot snapshot)
    {
        var m = snapshot.Manifest;
        return new SnapshotSummary
        {
            Id = snapshot.Id.ToString(),
            Time = m.Time,
            EndTime = m.EndTime,
            Host = m.Host,
            SourceKind = m.Source.Kind,
            Database = m.Source.Database,
            Source = m.Source.Name,
            Profile = m.Source.Profile,
            Tags = m.Tags,
            Size = m.TotalSize,
            NewBytes = m.Statistics?.NewBytes,
            StoredBytes = m.Statistics?.StoredBytes,
            Streams = m.Streams.Count,
            Chunks = m.Streams.Sum(s => s.Chunks.Count),
            HasModules = m.Modules is not null,
            Kind = m.Kind,
            StartLsn = m.Physical?.StartLsn,
            Timeline = m.Physical?.Timeline,
            StartWalFile = m.Physical?.StartWalFile,
            StopTime = m.Physical?.StopTime,
        };
    }
}
