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
        // Views and sequences too: pg_dump reads a sequence's state, and an unreadable schema hides all of them.
        const string sql = """
            SELECT n.nspname, c.relname,
                   NOT (has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT')) AS unreadable,
                   (n.nspname || '.' || c.relname) = ANY(@bookkeeping) AS bookkeeping
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = ANY(@schemas) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
            ORDER BY n.nspname, c.relname
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
