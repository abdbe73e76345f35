namespace Bulwark.Sources.Postgres.Archive;

/// <summary>One entry of an archive's table of contents: an object, or the data of a table.</summary>
public sealed record ArchiveTocEntry
{
    public required int DumpId { get; init; }
    /// <summary>True when a data block belongs to this entry (table data, large objects).</summary>
    public required bool HasData { get; init; }
    /// <summary>The object's name ("accounts", "accounts_pkey", "accounts accounts_bid_fkey" for constraints).</summary>
    public required string Tag { get; init; }
    /// <summary>What the entry is: "TABLE", "TABLE DATA", "INDEX", "SEQUENCE SET", …</summary>
    public required string Description { get; init; }
    /// <summary>pg_dump's section: none (1: comments, ACLs; they follow the entry before them), pre-data (2), data (3), post-data (4).</summary>
    public int Section { get; init; }
    /// <summary>The SQL that creates the object.</summary>
    public string? Definition { get; init; }
    public string? DropStatement { get; init; }
    /// <summary>For table data: "COPY schema.table (columns) FROM stdin;".</summary>
    public string? CopyStatement { get; init; }
    /// <summary>The schema, or null/empty for objects outside one.</summary>
    public string? Namespace { get; init; }
    public string? Tablespace { get; init; }
    public string? TableAccessMethod { get; init; }
    public string? Owner { get; init; }
    public IReadOnlyList<int> Dependencies { get; init; } = [];

    /// <summary>Where the copy statement (its length, then its bytes) starts in the archive, and its encoded length.</summary>
    internal long CopyStatementPosition { get; init; } = -1;
    internal int CopyStatementEncodedLength { get; init; }
    /// <summary>Where the data offset (a flag byte, then offset-size bytes) starts in the archive, and the flag.</summary>
    internal long DataOffsetPosition { get; init; } = -1;
    internal byte DataOffsetFlag { get; init; }

    /// <summary>"schema.tag", or the tag alone outside a schema.</summary>
    public string QualifiedName => string.IsNullOrEmpty(Namespace) ? Tag : $"{Namespace}.{Tag}";
}
