using Npgsql;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// What pg_dump leaves out of a Supabase project's archive, read inside the exported snapshot: every relation of a
/// platform schema the backup's role cannot read (no SELECT on it, or no USAGE on its schema) goes entirely, since
/// pg_dump would fail on it; the bookkeeping tables keep their definitions but not their rows. Everything else is
/// dumped as for a plain database: the team's objects and data, the platform tables' definitions with the team's
/// rows in them, and the team's triggers, policies, grants and publication membership on platform objects.
/// </summary>
internal sealed class SupabaseDumpPlan
{
    private SupabaseDumpPlan(SupabasePlatform platform, IReadOnlyList<string> excludedRelations, IReadOnlyList<string> excludedTableData)
    {
        Platform = platform;
        ExcludedRelations = excludedRelations;
        ExcludedTableData = excludedTableData;
    }

    public SupabasePlatform Platform { get; }

    /// <summary>"schema.name" of the relations left out entirely.</summary>
    public IReadOnlyList<string> ExcludedRelations { get; }

    /// <summary>"schema.name" of the bookkeeping tables whose rows are left out.</summary>
    public IReadOnlyList<string> ExcludedTableData { get; }

    public static async Task<SupabaseDumpPlan> ReadAsync(NpgsqlConnection connection, SupabasePlatform platform,
        CancellationToken cancellationToken)
    {
        // Views and sequences too: pg_dump reads a sequence's state, and an unreadable schema hides all of them. A
        // table whose own sequence (serial, identity) is unreadable goes as well: pg_dump dumps an owned sequence with
        // its table, whatever --exclude-table says of the sequence.
        const string sql = """
            WITH rel AS (
              SELECT c.oid, n.nspname, c.relname,
                     NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')) AS unreadable
              FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = ANY(@schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f'))
            SELECT r.nspname, r.relname,
                   r.unreadable OR EXISTS (
                     SELECT FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class s ON s.oid = d.objid
                     WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
                       AND d.refobjid = r.oid AND d.deptype IN ('a', 'i') AND s.relkind = 'S'
                       AND NOT (has_schema_privilege(s.relnamespace, 'USAGE') AND has_table_privilege(s.oid, 'SELECT'))),
                   (r.nspname || '.' || r.relname) = ANY(@bookkeeping)
            FROM rel r
            ORDER BY r.nspname, r.relname
            """;
        var excluded = new List<string>();
        var excludedData = new List<string>();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("schemas", platform.Schemas.ToArray());
        command.Parameters.AddWithValue("bookkeeping", platform.BookkeepingTables.ToArray());
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var name = $"{reader.GetString(0)}.{reader.GetString(1)}";
            if (reader.GetBoolean(2))
                excluded.Add(name);
            else if (reader.GetBoolean(3))
                excludedData.Add(name);
        }
        return new SupabaseDumpPlan(platform, excluded, excludedData);
    }

    /// <summary>pg_dump's arguments for the plan; names are quoted, so they match exactly and never as patterns.</summary>
    public IEnumerable<string> DumpArguments() =>
        ExcludedRelations.Select(r => $"--exclude-table={Pattern(r)}")
            .Concat(ExcludedTableData.Select(t => $"--exclude-table-data={Pattern(t)}"));

    public SupabasePlatformDocument Document() => new()
    {
        Platform = Platform,
        ExcludedRelations = ExcludedRelations,
        ExcludedTableData = ExcludedTableData,
    };

    /// <summary>"schema.name" as a pg_dump pattern that matches only that relation: both parts double-quoted.</summary>
    private static string Pattern(string qualified)
    {
        var dot = qualified.IndexOf('.', StringComparison.Ordinal);
        return $"{Quote(qualified[..dot])}.{Quote(qualified[(dot + 1)..])}";

        static string Quote(string part) => "\"" + part.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }
}
