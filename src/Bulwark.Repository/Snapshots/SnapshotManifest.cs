namespace Bulwark.Repository.Snapshots;

/// <summary>
/// What a snapshot holds. Written last, as one object named by the id of its content: its existence is the commit.
/// Readers ignore properties they do not know, so later versions may add some.
/// </summary>
public sealed record SnapshotManifest
{
    public int Format { get; init; } = 1;
    public required DateTimeOffset Time { get; init; }
    public required DateTimeOffset EndTime { get; init; }
    public required string Host { get; init; }
    public string? User { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Program versions: "bulwark", "pg_dump", …</summary>
    public IReadOnlyDictionary<string, string> Tools { get; init; } = new Dictionary<string, string>();
    public required SourceInfo Source { get; init; }
    public required IReadOnlyList<StreamEntry> Streams { get; init; }
    public BackupStatistics? Statistics { get; init; }
    /// <summary>Per-table fingerprints and the schema's shape of the database dump, for restore drills.</summary>
    public DatabaseFingerprints? Fingerprints { get; init; }
    /// <summary>Versioned modules (modules: in bulwark.yml): path, declared version, SHA-256. Null when none are configured.</summary>
    public IReadOnlyList<ModuleRecord>? Modules { get; init; }
    /// <summary>The ruleset registry's state at backup time (latest and active versions). Null when there is no ruleset.</summary>
    public IReadOnlyList<RulesetState>? Rulesets { get; init; }
    /// <summary>Set on a snapshot that 'bulwark copy' brought from another repository (its chunk ids are this repository's).</summary>
    public CopyOrigin? CopiedFrom { get; init; }

    /// <summary>Wall time of the backup.</summary>
    public TimeSpan Duration => EndTime - Time;

    /// <summary>Sum of the stream sizes.</summary>
    public long TotalSize => Streams.Sum(s => s.Size);

    public StreamEntry? FindStream(string name) => Streams.FirstOrDefault(s => s.Name == name);
}

/// <summary>Where the data came from. Never holds a password.</summary>
public sealed record SourceInfo
{
    /// <summary>"postgresql", or "files" for a snapshot of files only.</summary>
    public required string Kind { get; init; }
    /// <summary>
    /// The configured source's name ('sources:' in bulwark.yml). Absent for the single 'postgres:' form and in
    /// snapshots older than sources: the default source.
    /// </summary>
    public string? Name { get; init; }
    public string? Database { get; init; }
    /// <summary>Host and port as connected to, with no credentials.</summary>
    public string? Server { get; init; }
    public string? ServerVersion { get; init; }
    public long? DatabaseSize { get; init; }
    public string? User { get; init; }
    /// <summary>
    /// How the database was backed up: "plain" (everything pg_dump sees) or "supabase" (as a Supabase project's own
    /// role, see the supabase.json stream). Absent in snapshots older than profiles: plain.
    /// </summary>
    public string? Profile { get; init; }
}

/// <summary>What the backup wrote and what it could reuse.</summary>
public sealed record BackupStatistics
{
    public long NewBytes { get; init; }
    public long ReusedBytes { get; init; }
    public long StoredBytes { get; init; }
    public int NewChunks { get; init; }
    public int ReusedChunks { get; init; }
}
