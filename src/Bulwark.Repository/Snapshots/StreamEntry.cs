namespace Bulwark.Repository.Snapshots;

/// <summary>One stream of a snapshot: a database dump, the globals, a configuration file.</summary>
public sealed record StreamEntry
{
    /// <summary>Unique within the snapshot, e.g. "database.dump", "globals.sql", "files/etc/app/config.yml".</summary>
    public required string Name { get; init; }
    /// <summary>What the stream is: "pg_dump", "pg_dumpall-globals", "file", …</summary>
    public required string Kind { get; init; }
    /// <summary>Length in bytes of the whole stream.</summary>
    public required long Size { get; init; }
    /// <summary>SHA-256 of the whole stream, lower-case hex: what sha256sum prints for the restored file.</summary>
    public required string Sha256 { get; init; }
    public required IReadOnlyList<ChunkRef> Chunks { get; init; }
    /// <summary>Facts about the stream that depend on its kind (file mode and time, dump format, …).</summary>
    public IReadOnlyDictionary<string, string>? Attributes { get; init; }
}
