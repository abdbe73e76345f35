namespace Bulwark.Repository.Snapshots;

/// <summary>
/// What a database dump holds, computed from the dump as it streamed into the repository: per table a row count and
/// an order-independent hash of the rows' COPY text, every sequence's value, the large objects, and the schema's
/// shape. A restore drill reads a restored database back the same way and compares.
/// </summary>
public sealed record DatabaseFingerprints
{
    /// <summary>
    /// Row hash: XxHash128 of each row's COPY text line (without its newline), summed modulo 2^128, so that row order
    /// does not matter and duplicate rows count. Definitions: the same over "kind\0schema\0name\0definition".
    /// </summary>
    public const string CurrentAlgorithm = "xxh128-sum-v1";

    public string Algorithm { get; init; } = CurrentAlgorithm;

    /// <summary>Why the fingerprints could not be computed (the backup itself is fine); null when they were.</summary>
    public string? Error { get; init; }

    /// <summary>Version of the archive format the dump was read in ("1.14").</summary>
    public string? ArchiveVersion { get; init; }

    /// <summary>Every table whose rows the dump holds, ordered by schema and name.</summary>
    public IReadOnlyList<TableFingerprint> Tables { get; init; } = [];

    /// <summary>Every sequence's value as the dump sets it, ordered by schema and name.</summary>
    public IReadOnlyList<SequenceFingerprint> Sequences { get; init; } = [];

    public LargeObjectsFingerprint? LargeObjects { get; init; }

    public SchemaShape? Schema { get; init; }

    /// <summary>
    /// Server settings that shape the COPY text and that pg_dump does not pin (TimeZone, bytea_output, lc_monetary),
    /// as they were when the dump was taken; a drill reads back with the same.
    /// </summary>
    public IReadOnlyDictionary<string, string>? TextSettings { get; init; }

    /// <summary>Rows in all tables.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public long Rows => Tables.Sum(t => t.Rows);
}
