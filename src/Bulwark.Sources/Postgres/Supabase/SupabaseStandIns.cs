using System.Text.RegularExpressions;
using Bulwark.Sources.Postgres.Archive;
using Npgsql;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// Stands in for the Supabase platform on a plain PostgreSQL server (a drill's scratch database, as a superuser), so
/// that a Supabase snapshot restores there as it would into a fresh project: the roles the archive names (reserved
/// ones included) as NOLOGIN roles, the platform's schemas, the extensions the server has, and the platform's tables,
/// functions, sequences, constraints and indexes from the definitions the archive holds. Event triggers and whatever
/// needs an extension this server lacks are left out and named.
/// </summary>
public static partial class SupabaseStandIns
{
    private static readonly HashSet<string> Kinds = new(StringComparer.Ordinal)
    {
        "SCHEMA", "TYPE", "DOMAIN", "FUNCTION", "PROCEDURE", "AGGREGATE", "TABLE", "SEQUENCE", "SEQUENCE OWNED BY",
        "DEFAULT", "CONSTRAINT", "FK CONSTRAINT", "INDEX", "VIEW", "ROW SECURITY", "TRIGGER",
    };

    /// <summary>Creates the stand-ins in <paramref name="scratch"/>; returns notes on what it left out.</summary>
    public static async Task<IReadOnlyList<string>> CreateAsync(PgConnectionSettings scratch, IReadOnlyList<ArchiveTocEntry> entries,
        SupabasePlatform platform, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        await using var connection = await PgErrors.OpenAsync(scratch, "connecting to", cancellationToken).ConfigureAwait(false);
        var roles = Roles(entries, platform);
        var created = 0;
        foreach (var role in roles)
        {
            await using var create = new NpgsqlCommand($"""
                DO $$ BEGIN
                  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {PostgresRestore.QuoteLiteral(role)}) THEN
                    CREATE ROLE {PostgresRestore.QuoteIdentifier(role)} NOLOGIN;
                  END IF;
                END $$
                """, connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            created++;
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, "SELECT pg_catalog.set_config('search_path', '', true); SET LOCAL check_function_bodies = false",
            cancellationToken).ConfigureAwait(false);
        var available = new HashSet<string>(StringComparer.Ordinal);
        await using (var list = new NpgsqlCommand("SELECT name FROM pg_available_extensions", connection))
        await using (var reader = await list.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                available.Add(reader.GetString(0));
        }
        var stood = 0;
        var failed = new List<string>();
        var missingExtensions = new List<string>();
        var eventTriggers = new List<string>();
        foreach (var entry in entries)
        {
            string? sql = null;
            if (entry.Description == "EVENT TRIGGER")
                eventTriggers.Add(entry.Tag);
            else if (entry.Description == "EXTENSION")
            {
                if (available.Contains(entry.Tag))
                    sql = entry.Definition;
                else
                    missingExtensions.Add(entry.Tag);
            }
            else if (entry.Description == "PUBLICATION")
                sql = entry.Definition;
            else if (entry.Description == "SCHEMA" && platform.IsPlatformSchema(entry.Tag))
                sql = entry.Definition;
            else if (platform.IsPlatformSchema(entry.Namespace) && Kinds.Contains(entry.Description) &&
                     !(entry.Description == "TRIGGER" && RestorePlan.TriggerFunctionSchema(entry.Definition) is { } schema && !platform.IsPlatformSchema(schema)))
                sql = entry.Definition;
            if (string.IsNullOrWhiteSpace(sql))
                continue;
            await ExecuteAsync(connection, "SAVEPOINT bulwark_stand_in", cancellationToken).ConfigureAwait(false);
            try
            {
                await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
                // Owned as on the platform: a trigger or policy added to a table reads back with the table's owner.
                if (OwnerStatement(entry) is { } owner)
                    await ExecuteAsync(connection, owner, cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "RELEASE SAVEPOINT bulwark_stand_in", cancellationToken).ConfigureAwait(false);
                stood++;
            }
            catch (PostgresException e)
            {
                await ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT bulwark_stand_in", cancellationToken).ConfigureAwait(false);
                failed.Add($"{ScriptExecutor.Display(entry)} ({e.MessageText})");
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        notes.Add($"Supabase snapshot: the platform was stood in for by {created} roles as NOLOGIN and {stood} objects from the snapshot's own definitions");
        if (eventTriggers.Count > 0)
            notes.Add($"not stood in: event trigger{(eventTriggers.Count == 1 ? "" : "s")} {string.Join(", ", eventTriggers)} (the platform's own; not restored)");
        if (missingExtensions.Count > 0)
            notes.Add($"not stood in: extension{(missingExtensions.Count == 1 ? "" : "s")} {string.Join(", ", missingExtensions)} (not available on this server)");
        if (failed.Count > 0)
            notes.Add($"not stood in: {failed.Count} platform object{(failed.Count == 1 ? "" : "s")} this server refused: {string.Join("; ", failed.Take(5))}{(failed.Count > 5 ? "; …" : "")}");
        return notes;
    }

    /// <summary>The ALTER … OWNER TO that gives a stand-in the archive's owner; null for kinds that have none of their own.</summary>
    private static string? OwnerStatement(ArchiveTocEntry entry)
    {
        if (string.IsNullOrEmpty(entry.Owner))
            return null;
        var owner = PostgresRestore.QuoteIdentifier(entry.Owner);
        var schema = PostgresRestore.QuoteIdentifier(entry.Namespace ?? "");
        return entry.Description switch
        {
            "SCHEMA" => $"ALTER SCHEMA {PostgresRestore.QuoteIdentifier(entry.Tag)} OWNER TO {owner}",
            "TABLE" or "SEQUENCE" or "VIEW" or "TYPE" or "DOMAIN" =>
                $"ALTER {entry.Description} {schema}.{PostgresRestore.QuoteIdentifier(entry.Tag)} OWNER TO {owner}",
            // A function's tag is its signature, name(types), as pg_dump quoted it.
            "FUNCTION" or "PROCEDURE" or "AGGREGATE" => $"ALTER {entry.Description} {schema}.{entry.Tag} OWNER TO {owner}",
            _ => null,
        };
    }

    /// <summary>Every role the archive names: owners, grantees, and the platform's reserved roles.</summary>
    internal static IReadOnlyList<string> Roles(IReadOnlyList<ArchiveTocEntry> entries, SupabasePlatform platform)
    {
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var role in platform.ReservedRoles)
            roles.Add(role);
        foreach (var entry in entries)
        {
            if (!string.IsNullOrEmpty(entry.Owner))
                roles.Add(entry.Owner);
            if (entry.Description is not ("ACL" or "DEFAULT ACL") || entry.Definition is null)
                continue;
            foreach (Match match in RoleName().Matches(entry.Definition))
            {
                var name = match.Groups["role"].Value;
                roles.Add(name.StartsWith('"') ? name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : name);
            }
        }
        roles.Remove("PUBLIC");
        roles.RemoveWhere(r => r.StartsWith("pg_", StringComparison.Ordinal));
        return [.. roles];
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    [GeneratedRegex("""(?: TO | FROM |FOR ROLE )(?<role>"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)""")]
    private static partial Regex RoleName();
}
