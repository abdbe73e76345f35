using Bulwark.Repository;
using Bulwark.Repository.Streams;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage.Local;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Processes;
using Npgsql;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// Restores a Supabase snapshot into a project as the project's ordinary postgres role: the team's objects, the team's
/// rows in platform tables and the team's additions to platform objects (see <see cref="RestorePlan"/>), in ONE
/// transaction with session_replication_role = replica, so that the team's triggers (on auth.users!) do not fire
/// during the load and a failure leaves the target as it was. pg_restore only turns the archive into SQL (-f -);
/// <see cref="ScriptExecutor"/> runs it. With clean, the team's objects in the snapshot are dropped first (pg_restore
/// --clean --if-exists), then the team's triggers on platform tables, and the platform tables whose rows the snapshot
/// holds are emptied; a platform object is never dropped.
/// </summary>
internal sealed class SupabaseRestore
{
    private readonly SupabasePlatform _platform;
    private readonly string _pgRestore;
    private readonly PostgresRestoreOptions _options;

    public SupabaseRestore(SupabasePlatform platform, string pgRestore, PostgresRestoreOptions options)
    {
        _platform = platform;
        _pgRestore = pgRestore;
        _options = options;
    }

    public async Task<SupabaseRestoreSummary> RunAsync(BackupRepository repository, StreamEntry dump,
        PgConnectionSettings target, Func<CancellationToken, Task> beforeLoad, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        if (_options.Schemas.Count > 0 || _options.Tables.Count > 0 || _options.Jobs > 1)
            throw new BulwarkException(ErrorKind.Usage,
                "a Supabase snapshot is restored whole, in one transaction: --schema, --table and --jobs do not apply",
                "drop those options; to pick parts, write the dump out with --to-file and use pg_restore");
        var (_, entries) = await ArchiveReading.ReadTocAsync(repository, dump, cancellationToken).ConfigureAwait(false);
        if (entries.FirstOrDefault(e => e.Description == "ENCODING")?.Definition is { } encoding &&
            !encoding.Contains("'UTF8'", StringComparison.OrdinalIgnoreCase))
            throw new BulwarkException(ErrorKind.Refused, $"the snapshot's database is not UTF-8 ({encoding.Trim()}), as every Supabase project is",
                "restore it with --to-file and pg_restore");

        await using var connection = await PgErrors.OpenAsync(target, "connecting to", cancellationToken).ConfigureAwait(false);
        var plan = RestorePlan.Create(entries, _platform,
            await NamesAsync(connection, "SELECT extname FROM pg_extension", cancellationToken).ConfigureAwait(false),
            await NamesAsync(connection, "SELECT pubname FROM pg_publication", cancellationToken).ConfigureAwait(false),
            await NamesAsync(connection, "SELECT name FROM pg_available_extensions", cancellationToken).ConfigureAwait(false));
        await EnsurePlatformTablesAsync(connection, plan, target, cancellationToken).ConfigureAwait(false);
        if (!_options.Clean)
            await EnsureEmptyAsync(connection, plan, target, cancellationToken).ConfigureAwait(false);
        await beforeLoad(cancellationToken).ConfigureAwait(false);

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(connection, "SET LOCAL session_replication_role = replica", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new BulwarkException(ErrorKind.Refused,
                $"restoring into {target.Display}: the role may not set session_replication_role ({e.MessageText}), which keeps the team's triggers from firing during the load",
                "restore as the project's postgres role (it has SET on session_replication_role), or grant it: GRANT SET ON PARAMETER session_replication_role TO <role>");
        }

        var truncated = new List<string>();
        var (keptFunctions, refusedDrops) = _options.Clean
            ? await DropTeamTriggersAsync(connection, cancellationToken).ConfigureAwait(false)
            : (new HashSet<string>(), []);
        var executor = new ScriptExecutor(connection, plan, keptFunctions, async token =>
        {
            if (_options.Clean)
                truncated.AddRange(await CleanPlatformPartAsync(connection, plan, token).ConfigureAwait(false));
        });
        var folder = _options.SpoolDirectory ?? Path.GetTempPath();
        OwnerOnly.CreateFolder(folder);
        var list = RestoreSpool.NewPath(folder, "list");
        try
        {
            await RestoreSpool.WriteNewAsync(list, plan.ListFile(), cancellationToken).ConfigureAwait(false);
            await RunScriptAsync(repository, dump, list, executor, progress, cancellationToken).ConfigureAwait(false);
            foreach (var grant in plan.Grants)
                await executor.GrantAsync(grant, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ScriptException e)
        {
            throw new BulwarkException(ErrorKind.Failed,
                $"restoring into {target.Display} failed{(e.Entry is null ? "" : $" at {e.Entry}")}: {e.Message}",
                e.Message.Contains("does not exist", StringComparison.Ordinal) && e.Message.Contains("role", StringComparison.Ordinal)
                    ? "nothing was restored (one transaction); create the team's roles first (restore with --globals), or restore with --no-owner --no-acl"
                    : "nothing was restored (the restore runs in one transaction); fix the cause and try again", e);
        }
        catch (NpgsqlException e) when (e is not PostgresException)
        {
            throw PgErrors.Translate(e, target, "restoring into");
        }
        finally
        {
            File.Delete(list);
        }

        return new SupabaseRestoreSummary
        {
            TeamObjects = plan.TeamObjects,
            PlatformRows = executor.PlatformRows.OrderBy(r => r.Key, StringComparer.Ordinal)
                .Select(r => new PlatformTableRows(r.Key, r.Value)).ToList(),
            Additions = executor.Applied,
            Skipped = [.. plan.Skipped, .. refusedDrops, .. executor.Refused],
            Truncated = truncated,
            RestoredEntries = plan.Listed.Select(e => e.DumpId).Where(id => !executor.RefusedEntries.Contains(id)).ToList(),
        };
    }

    /// <summary>Feeds the archive to pg_restore, which writes the script; the script runs as it arrives.</summary>
    private async Task RunScriptAsync(BackupRepository repository, StreamEntry dump, string list, ScriptExecutor executor,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var arguments = new List<string> { "--verbose", "--file=-", $"--use-list={list}" };
        arguments.AddRange(_options.CleanOwnerAclArguments());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var restore = ProcessRunner.Start(_pgRestore, arguments, null, redirectInput: true, redirectOutput: true, stop.Token);
        var feed = Task.Run(async () =>
        {
            try
            {
                await using var input = restore.StandardInput;
                await repository.CopyStreamAsync(dump, input, progress, cancellationToken: stop.Token).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // pg_restore stopped reading: it had what the list asks for, or its own error says why.
            }
        }, CancellationToken.None);
        try
        {
            await executor.RunAsync(restore.StandardOutput, cancellationToken).ConfigureAwait(false);
            await feed.ConfigureAwait(false);
        }
        catch
        {
            restore.Kill();
            await stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await feed.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or BulwarkException or IOException)
            {
                // The script's own failure is what the user needs to see.
            }
            throw;
        }
        var code = await restore.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw PostgresBackup.ToolFailed("pg_restore", code, restore.ErrorSummary) is { Kind: not ErrorKind.Failed } failure
                ? failure
                : new BulwarkException(ErrorKind.Failed, $"pg_restore failed with exit code {code}: {restore.ErrorSummary ?? "no message"}",
                    "nothing was restored (the restore runs in one transaction); fix the cause and try again");
    }

    /// <summary>
    /// With --clean, before anything else: drops the target's triggers on platform tables that call the team's
    /// functions, each under a savepoint. A trigger the target will not drop (only the table's owner may) stays, and so
    /// does its function: returns those functions ("schema.name(types)"), which the restore then replaces in place.
    /// </summary>
    private async Task<(HashSet<string> KeptFunctions, List<RestoreSkip> Refused)> DropTeamTriggersAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var triggers = new List<(string Drop, string Function, string Name)>();
        await ExecuteAsync(connection, "SELECT pg_catalog.set_config('search_path', '', true)", cancellationToken).ConfigureAwait(false);
        await using (var find = new NpgsqlCommand("""
            SELECT format('DROP TRIGGER %I ON %I.%I', t.tgname, n.nspname, c.relname),
                   -- as pg_dump tags a function: name(types), types as format_type gives them with an empty search_path
                   format('%s.%s(%s)', pn.nspname, p.proname, coalesce((SELECT string_agg(format_type(a, NULL), ', ' ORDER BY i)
                                                                        FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u (a, i)), '')),
                   format('trigger %s.%s %s', n.nspname, c.relname, t.tgname)
            FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
              JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
            WHERE NOT t.tgisinternal AND n.nspname = ANY ($1) AND NOT pn.nspname = ANY ($1)
            ORDER BY 1
            """, connection))
        {
            find.Parameters.Add(new NpgsqlParameter { Value = _platform.Schemas.ToArray() });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                triggers.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var refused = new List<RestoreSkip>();
        foreach (var (drop, function, name) in triggers)
        {
            await ExecuteAsync(connection, "SAVEPOINT bulwark_clean", cancellationToken).ConfigureAwait(false);
            try
            {
                await ExecuteAsync(connection, drop, cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, "RELEASE SAVEPOINT bulwark_clean", cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e)
            {
                await ExecuteAsync(connection, "ROLLBACK TO SAVEPOINT bulwark_clean", cancellationToken).ConfigureAwait(false);
                kept.Add(function);
                refused.Add(new RestoreSkip($"dropping {name}",
                    $"the target refused it ({e.SqlState}: {e.MessageText}); it stays, and its function {function} is replaced in place"));
            }
        }
        return (kept, refused);
    }

    /// <summary>
    /// With --clean, after the team's objects were dropped: empties the platform tables whose rows the snapshot holds.
    /// Returns the tables emptied.
    /// </summary>
    private static async Task<IReadOnlyList<string>> CleanPlatformPartAsync(NpgsqlConnection connection, RestorePlan plan,
        CancellationToken cancellationToken)
    {
        var tables = plan.PlatformTables.Select(t => $"{PostgresRestore.QuoteIdentifier(t.Schema)}.{PostgresRestore.QuoteIdentifier(t.Table)}").ToList();
        if (tables.Count == 0)
            return [];
        try
        {
            await ExecuteAsync(connection, $"TRUNCATE {string.Join(", ", tables)}", cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw new ScriptException("emptying the platform tables whose rows the snapshot holds",
                $"{e.SqlState}: {e.MessageText}{(e.SqlState == PostgresErrorCodes.FeatureNotSupported ? " (a table of the team's that is not in the snapshot references one of them: drop it first)" : "")}", e);
        }
        return plan.PlatformTables.Select(t => $"{t.Schema}.{t.Table}").ToList();
    }

    /// <summary>Every platform table whose rows the snapshot holds must exist in the target: it is a project of the platform.</summary>
    private static async Task EnsurePlatformTablesAsync(NpgsqlConnection connection, RestorePlan plan, PgConnectionSettings target,
        CancellationToken cancellationToken)
    {
        var names = plan.PlatformTables.Select(t => $"{PostgresRestore.QuoteIdentifier(t.Schema)}.{PostgresRestore.QuoteIdentifier(t.Table)}").ToArray();
        if (names.Length == 0)
            return;
        await using var command = new NpgsqlCommand("SELECT name FROM unnest($1::text[]) name WHERE to_regclass(name) IS NULL", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = names });
        var missing = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                missing.Add(reader.GetString(0));
        }
        if (missing.Count > 0)
            throw new BulwarkException(ErrorKind.Refused,
                $"database \"{target.Database}\" on {target.Display} lacks the platform tables {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? $" and {missing.Count - 5} more" : "")} that the snapshot has rows for",
                "restore a Supabase snapshot into a Supabase project (a fresh one, or this one with --clean)");
    }

    /// <summary>
    /// A project counts as empty when all it holds is the platform's: nothing of its own outside the platform's schemas,
    /// no rows in the platform tables the snapshot fills, and none of the team's triggers, policies or publication
    /// members on platform objects.
    /// </summary>
    private async Task EnsureEmptyAsync(NpgsqlConnection connection, RestorePlan plan, PgConnectionSettings target,
        CancellationToken cancellationToken)
    {
        const string sql = """
            WITH platform AS (SELECT unnest($1::text[]) AS nspname),
            own AS (SELECT n.oid, n.nspname FROM pg_namespace n
                    WHERE n.nspname NOT IN (SELECT nspname FROM platform) AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%')
            SELECT
              (SELECT count(*) FROM pg_class c JOIN own ON own.oid = c.relnamespace
                WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'))
            + (SELECT count(*) FROM pg_proc p JOIN own ON own.oid = p.pronamespace
                WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'))
            + (SELECT count(*) FROM pg_type t JOIN own ON own.oid = t.typnamespace
                WHERE t.typtype IN ('e', 'd', 'r', 'm') AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e'))
            + (SELECT count(*) FROM own WHERE own.nspname <> 'public'),
              (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                 JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
               WHERE NOT t.tgisinternal AND n.nspname IN (SELECT nspname FROM platform) AND pn.nspname NOT IN (SELECT nspname FROM platform)),
              (SELECT count(*) FROM pg_policies WHERE schemaname || '.' || tablename || '.' || policyname = ANY ($2)),
              (SELECT count(*) FROM pg_publication_rel pr JOIN pg_class c ON c.oid = pr.prrelid JOIN own ON own.oid = c.relnamespace)
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = _platform.Schemas.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = plan.PlatformPolicies.Select(p => $"{p.Schema}.{p.Table}.{p.Policy}").ToArray() });
        var found = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            Describe(reader.GetInt64(0), "object", "outside the platform's schemas");
            Describe(reader.GetInt64(1), "trigger", "of the team's on platform tables");
            Describe(reader.GetInt64(2), "policy", "on platform tables named as in the snapshot", "policies");
            Describe(reader.GetInt64(3), "table", "of the team's in a publication");
        }
        foreach (var (schema, table) in plan.PlatformTables)
        {
            await using var rows = new NpgsqlCommand(
                $"SELECT EXISTS (SELECT FROM {PostgresRestore.QuoteIdentifier(schema)}.{PostgresRestore.QuoteIdentifier(table)})", connection);
            try
            {
                if ((bool)(await rows.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                    found.Add($"rows in {schema}.{table}");
            }
            catch (PostgresException e)
            {
                throw PgErrors.Translate(e, target, $"reading {schema}.{table} in");
            }
        }
        if (found.Count > 0)
            throw new BulwarkException(ErrorKind.Refused,
                $"project database \"{target.Database}\" on {target.Display} holds more than the platform's part ({string.Join(", ", found.Take(6))}{(found.Count > 6 ? ", …" : "")})",
                "restore into a fresh project, or pass --clean to replace the team's part (platform objects are never dropped)");

        void Describe(long count, string what, string where, string? plural = null)
        {
            if (count > 0)
                found.Add($"{count} {(count == 1 ? what : plural ?? what + "s")} {where}");
        }
    }

    private static async Task<IReadOnlySet<string>> NamesAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            names.Add(reader.GetString(0));
        return names;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
