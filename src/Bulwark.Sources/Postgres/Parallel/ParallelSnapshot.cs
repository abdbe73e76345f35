using Bulwark.Repository.Snapshots;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// The streams of a parallel backup (backup --jobs): pg_dump's custom archive of everything but the rows of ordinary
/// tables (schema, sequences, large objects, materialized views), and one stream of COPY text per table, all read in
/// one exported snapshot. Its name differs from a single archive's so that no reader takes it for a whole dump.
/// </summary>
public static class ParallelSnapshot
{
    public const string SchemaStreamName = "database.schema.dump";
    public const string SchemaStreamKind = "pg_dump-without-table-rows";
    public const string TableStreamKind = "copy-text";
    public const string TableStreamPrefix = "table-data/";

    /// <summary>Attributes of a table stream.</summary>
    public const string SchemaAttribute = "schema";
    public const string TableAttribute = "table";
    /// <summary>The statement pg_dump would write for the table's data: "COPY schema.table (a, b) FROM stdin;\n".</summary>
    public const string CopyAttribute = "copy";

    public static bool IsParallel(SnapshotManifest manifest) => manifest.FindStream(SchemaStreamName) is not null;

    /// <summary>The table streams, in the order the backup stored them.</summary>
    public static IReadOnlyList<StreamEntry> Tables(SnapshotManifest manifest) =>
        manifest.Streams.Where(s => s.Kind == TableStreamKind && s.Name.StartsWith(TableStreamPrefix, StringComparison.Ordinal)).ToList();

    /// <summary>The database's archive: a single one, or the schema archive of a parallel backup.</summary>
    public static StreamEntry? DatabaseStream(SnapshotManifest manifest) =>
        manifest.FindStream(PostgresBackup.DumpStreamName) ?? manifest.FindStream(SchemaStreamName);

    internal static (string Schema, string Table, string Copy) Describe(StreamEntry table)
    {
        var attributes = table.Attributes;
        if (attributes is null || !attributes.TryGetValue(SchemaAttribute, out var schema) ||
            !attributes.TryGetValue(TableAttribute, out var name) || !attributes.TryGetValue(CopyAttribute, out var copy) ||
            !copy.StartsWith("COPY ", StringComparison.Ordinal) || !copy.EndsWith(" FROM stdin;\n", StringComparison.Ordinal))
            throw new BulwarkException(ErrorKind.Integrity, $"stream {table.Name} does not say which table it holds",
                "the snapshot is damaged or was not written by Bulwark; restore an older snapshot");
        return (schema, name, copy);
    }
}
