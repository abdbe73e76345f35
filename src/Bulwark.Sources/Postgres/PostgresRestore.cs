using System.Diagnostics;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Parallel;
using Bulwark.Sources.Processes;
using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Restores a snapshot's dump with pg_restore, fed straight from the repository. A sequential restore runs in one
/// transaction and stops at the first error, so the target ends up complete or unchanged; a database this restore
/// created is dropped again when the restore fails.
/// </summary>
public sealed class PostgresRestore
{
    private readonly PgTools _tools;
    private readonly PostgresRestoreOptions _options;

    public PostgresRestore(PostgresRestoreOptions options)
    {
        _options = options;
        _tools = new PgTools(options.BinDirectory);
    }

    public async Task<PostgresRestoreResult> RunAsync(BackupRepository repository, Snapshot snapshot,
        PgConnectionSettings target, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var dump = ParallelSnapshot.DatabaseStream(snapshot.Manifest)
                   ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} holds no database dump",
                       "choose a snapshot of a database");
        var archiveMajor = snapshot.Manifest.Tools.TryGetValue("pg_dump", out var v) ? PgVersion.Parse(v).Major : (int?)null;
        var (pgRestore, _) = await _tools.FindAsync("pg_restore", archiveMajor, cancellationToken).ConfigureAwait(false);

        // Read and checked before anything is created or applied: a refused script changes nothing.
        var globals = _options.Globals ? await ReadGlobalsAsync(repository, snapshot, cancellationToken).ConfigureAwait(false) : null;
        var created = false;
        if (_options.Create)
        {
            await CreateDatabaseAsync(target, dump, cancellationToken).ConfigureAwait(false);
            created = true;
        }
        try
        {
            if (created)
                await MarkInterruptedAsync(target, cancellationToken).ConfigureAwait(false);
            if (_options.BeforeRestore is { } prepare)
                await prepare(target, cancellationToken).ConfigureAwait(false);
            var globalsErrors = 0;
            if (_options.Supabase is { } platform)
            {
                // The team's roles go in once the target was found fit, before the load that grants to them.
                var summary = await new Supabase.SupabaseRestore(platform, pgRestore, _options)
                    .RunAsync(repository, dump, target, async token =>
                    {
                        if (globals is not null)
                            globalsErrors = await ApplyGlobalsAsync(globals, target, token).ConfigureAwait(false);
                    }, progress, cancellationToken).ConfigureAwait(false);
                var restored = new PostgresRestoreResult(target.Database, created, dump.Size, Stopwatch.GetElapsedTime(started), globalsErrors)
                {
                    Supabase = summary,
                };
                if (created)
                {
                    created = false;
                    await ClearInterruptedMarkAsync(target, CancellationToken.None).ConfigureAwait(false);
                }
                return _options.Analyze ? await AnalyzeAsync(target, restored, cancellationToken).ConfigureAwait(false) : restored;
            }
            if (!_options.Create && !_options.Clean)
                await EnsureEmptyAsync(target, cancellationToken).ConfigureAwait(false);
            if (_options.Schemas.Count > 0)
                await CreateSchemasAsync(target, _options.Schemas, cancellationToken).ConfigureAwait(false);
            if (globals is not null)
                globalsErrors = await ApplyGlobalsAsync(globals, target, cancellationToken).ConfigureAwait(false);

            var arguments = new List<string> { "--no-password", $"--dbname={target.Database}" };
            arguments.AddRange(_options.CleanOwnerAclArguments());
            arguments.AddRange(_options.Schemas.Select(s => $"--schema={s}"));
            arguments.AddRange(_options.Tables.Select(t => $"--table={t}"));
            var environment = ConnectionEnvironment(target, _options.SessionSettings);
            // A parallel snapshot loads its tables in parallel sessions; filtered or --clean restores (and one job, which
            // restores in one transaction) get it as the single archive pg_dump would have written.
            var parallel = ParallelSnapshot.IsParallel(snapshot.Manifest);
            Func<Stream, CancellationToken, Task> write = parallel
                ? (destination, ct) => ParallelArchiveWriter.WriteAsync(repository, snapshot.Manifest, destination, progress, ct)
                : (destination, ct) => repository.CopyStreamAsync(dump, destination, progress, cancellationToken: ct);
            if (parallel && _options.Jobs > 1 && _options is { Clean: false, Schemas.Count: 0, Tables.Count: 0 })
                await new ParallelTableRestore(_options).RunAsync(repository, snapshot.Manifest, pgRestore, arguments, environment,
                    target, progress, cancellationToken).ConfigureAwait(false);
            else if (_options.Jobs > 1)
                await RestoreParallelAsync(write, pgRestore, arguments, environment, cancellationToken).ConfigureAwait(false);
            else
                await RestoreStreamingAsync(write, pgRestore, arguments, environment, cancellationToken).ConfigureAwait(false);
            var size = parallel ? snapshot.Manifest.Streams.Where(s => s == dump || s.Kind == ParallelSnapshot.TableStreamKind).Sum(s => s.Size) : dump.Size;
            var result = new PostgresRestoreResult(target.Database, created, size, Stopwatch.GetElapsedTime(started), globalsErrors);
            if (created)
            {
                created = false; // restored and committed: from here on nothing drops it
                await ClearInterruptedMarkAsync(target, CancellationToken.None).ConfigureAwait(false);
            }
            return _options.Analyze ? await AnalyzeAsync(target, result, cancellationToken).ConfigureAwait(false) : result;
        }
        catch when (created)
        {
            await DropDatabaseAsync(target, CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<PostgresRestoreResult> AnalyzeAsync(PgConnectionSettings target, PostgresRestoreResult result,
        CancellationToken cancellationToken)
    {
        var (duration, problem) = await AnalyzeAsync(target, _options.Schemas, _options.Tables, cancellationToken).ConfigureAwait(false);
        return result with { AnalyzeDuration = duration, AnalyzeProblem = problem };
    }

    /// <summary>
    /// Gathers planner statistics for what was restored (the whole database, or the tables of the schemas and table
    /// names given, as pg_restore -n/-t match them): pg_restore leaves none, and until autovacuum gets to a table the
    /// first queries on it are planned blind. Runs after the restore committed, so it never throws: a failure is
    /// returned as the problem to report.
    /// </summary>
    public static async Task<(TimeSpan? Duration, string? Problem)> AnalyzeAsync(PgConnectionSettings target,
        IReadOnlyList<string> schemas, IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var connection = await PgErrors.OpenAsync(target, "connecting to", cancellationToken).ConfigureAwait(false);
            var sql = "ANALYZE";
            if (schemas.Count > 0 || tables.Count > 0)
            {
                await using var find = new NpgsqlCommand("""
                    SELECT format('%I.%I', n.nspname, c.relname)
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE c.relkind IN ('r', 'p', 'm')
                      AND (cardinality($1::text[]) = 0 OR n.nspname = ANY ($1))
                      AND (cardinality($2::text[]) = 0 OR c.relname = ANY ($2))
                    ORDER BY 1
                    """, connection);
                find.Parameters.Add(new NpgsqlParameter { Value = schemas.ToArray() });
                find.Parameters.Add(new NpgsqlParameter { Value = tables.ToArray() });
                var names = new List<string>();
                await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        names.Add(reader.GetString(0));
                }
                if (names.Count == 0)
                    return (null, null);
                sql = "ANALYZE " + string.Join(", ", names);
            }
            await using var analyze = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
            await analyze.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return (Stopwatch.GetElapsedTime(started), null);
        }
        catch (Exception e) when (e is NpgsqlException or BulwarkException or OperationCanceledException)
        {
            var why = e is OperationCanceledException ? "cancelled" : e.Message;
            return (null, $"statistics were not gathered ({why}); run ANALYZE on the restored database");
        }
    }

    internal static IReadOnlyDictionary<string, string?> ConnectionEnvironment(PgConnectionSettings target,
        IReadOnlyDictionary<string, string> sessionSettings)
    {
        // pg_restore takes the database from --dbname; everything else, the password included, from the environment.
        var environment = new Dictionary<string, string?>(target.ToEnvironment()) { ["PGDATABASE"] = null };
        var options = string.Join(' ', sessionSettings.Select(kv => $"-c {kv.Key}={kv.Value}"));
        if (options.Length > 0)
            environment["PGOPTIONS"] = environment.TryGetValue("PGOPTIONS", out var given) && !string.IsNullOrEmpty(given)
                ? $"{given} {options}"
                : options;
        return environment;
    }

    private async Task RestoreStreamingAsync(Func<Stream, CancellationToken, Task> write, string pgRestore,
        List<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        arguments.AddRange(["--single-transaction", "--exit-on-error"]);
        await using var restore = ProcessRunner.Start(pgRestore, arguments, environment, redirectInput: true,
            redirectOutput: false, cancellationToken);
        try
        {
            await using (var input = restore.StandardInput)
            {
                BatchingPipeStream.TryEnlarge(input);
                await using var freezing = new FreezingArchiveStream(input);
                await write(freezing, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (IOException)
        {
            // pg_restore stopped reading: after a partial restore (--table, --schema) it has what it needs and exits 0;
            // otherwise its own error says why. Every chunk it did read was checked against its id.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            restore.Kill();
            await restore.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        var code = await restore.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw RestoreFailed(code, restore.ErrorSummary, parallel: false);
    }

    private async Task RestoreParallelAsync(Func<Stream, CancellationToken, Task> write, string pgRestore,
        List<string> arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        // pg_restore -j needs a file it can seek in.
        using var spool = RestoreSpool.Create(_options.SpoolDirectory);
        await using (var file = spool.OpenWrite())
        await using (var freezing = new FreezingArchiveStream(file))
            await write(freezing, cancellationToken).ConfigureAwait(false);
        arguments.Add($"--jobs={_options.Jobs}");
        arguments.Add(spool.Path);
        await using var restore = ProcessRunner.Start(pgRestore, arguments, environment, redirectInput: false,
            redirectOutput: false, cancellationToken);
        var code = await restore.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw RestoreFailed(code, restore.ErrorSummary, parallel: true);
    }

    internal static BulwarkException RestoreFailed(int code, string? summary, bool parallel)
    {
        var failure = PostgresBackup.ToolFailed("pg_restore", code, summary);
        if (failure.Kind != ErrorKind.Failed)
            return failure;
        var advice = summary?.Contains("role", StringComparison.Ordinal) == true && summary.Contains("does not exist", StringComparison.Ordinal)
            ? "create the missing roles first (restore with --globals), or restore with --no-owner --no-acl"
            : parallel
                ? "a parallel restore is not one transaction: the target may be partly restored; clean it before trying again"
                : "nothing was restored (the restore runs in one transaction); fix the cause and try again";
        return new BulwarkException(ErrorKind.Failed, $"pg_restore failed with exit code {code}: {summary ?? "no message"}", advice);
    }

    /// <summary>
    /// The statements of the snapshot's globals.sql, read whole and checked (see <see cref="GlobalsScript"/>): the
    /// script is repository content, and run by psql a meta-command in it would run on this host.
    /// </summary>
    private static async Task<IReadOnlyList<string>> ReadGlobalsAsync(BackupRepository repository, Snapshot snapshot,
        CancellationToken cancellationToken)
    {
        var globals = snapshot.Manifest.FindStream(PostgresBackup.GlobalsStreamName)
                      ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} holds no roles",
                          "back up with --globals to include them, or restore without --globals");
        if (globals.Size > MaxGlobalsSize)
            throw new BulwarkException(ErrorKind.Integrity,
                $"snapshot {snapshot.ShortId}: globals.sql is {globals.Size} bytes, more than the roles of a server take; nothing was applied",
                "the snapshot is damaged or was not written by Bulwark; restore without --globals");
        using var buffer = new MemoryStream();
        // CopyStreamAsync checks length and SHA-256 against the manifest before returning.
        await repository.CopyStreamAsync(globals, buffer, cancellationToken: cancellationToken).ConfigureAwait(false);
        var text = GlobalsScript.ByteEncoding.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        return GlobalsScript.Split(text, snapshot.ShortId);
    }

    /// <summary>
    /// Runs the statements one by one through Npgsql, never psql, as the bytes of the dump. Roles that exist already
    /// fail one by one and are kept; everything else applies. Returns the number of statements that failed.
    /// </summary>
    private static async Task<int> ApplyGlobalsAsync(IReadOnlyList<string> statements, PgConnectionSettings target,
        CancellationToken cancellationToken)
    {
        var builder = target.ToNpgsql();
        builder.Encoding = GlobalsScript.ByteEncodingName;
        await using var connection = PgDataSources.CreateConnection(builder.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw PgErrors.Translate(e, target, "connecting to");
        }
        var errors = 0;
        foreach (var statement in statements)
        {
            await using var command = new NpgsqlCommand(statement, connection) { CommandTimeout = 0 };
            try
            {
                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (!e.IsTransient && connection.State == System.Data.ConnectionState.Open)
            {
                errors++; // as psql with ON_ERROR_STOP=0: e.g. a role that exists already
            }
            catch (NpgsqlException e)
            {
                throw PgErrors.Translate(e, target, "applying the roles to");
            }
        }
        return errors;
    }

    /// <summary>A bound on globals.sql, which is read whole: far more than a server with a million roles writes.</summary>
    private const long MaxGlobalsSize = 1L << 30;

    private static async Task CreateDatabaseAsync(PgConnectionSettings target, StreamEntry dump, CancellationToken cancellationToken)
    {
        await using var connection = await OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand(
                         "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1", connection))
        {
            exists.Parameters.Add(new NpgsqlParameter { Value = target.Database });
            if (await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string comment)
            {
                if (comment.StartsWith(InterruptedMark, StringComparison.Ordinal))
                    throw new BulwarkException(ErrorKind.Refused,
                        $"database \"{target.Database}\" already exists on {target.Display}: it was left by an interrupted restore (started {comment[InterruptedMark.Length..].Trim()})",
                        $"drop it (psql -d postgres -c 'DROP DATABASE {QuoteIdentifier(target.Database)}'), then run the restore again");
                throw new BulwarkException(ErrorKind.Refused, $"database \"{target.Database}\" already exists on {target.Display}",
                    "choose a new name for --create, or restore into the existing database without --create (it must be empty, or use --clean)");
            }
        }
        var attributes = dump.Attributes ?? new Dictionary<string, string>();
        var sql = $"CREATE DATABASE {QuoteIdentifier(target.Database)} TEMPLATE template0";
        if (attributes.TryGetValue("encoding", out var encoding))
            sql += $" ENCODING {QuoteLiteral(encoding)}";
        var withLocale = sql;
        if (attributes.TryGetValue("collate", out var collate) && attributes.TryGetValue("ctype", out var ctype))
            withLocale += $" LC_COLLATE {QuoteLiteral(collate)} LC_CTYPE {QuoteLiteral(ctype)}";
        try
        {
            await using var create = new NpgsqlCommand(withLocale, connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.InvalidParameterValue or PostgresErrorCodes.FeatureNotSupported)
        {
            // The source's locale is not installed here: create with the server's default rather than fail.
            await using var create = new NpgsqlCommand(sql, connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e)
        {
            throw PgErrors.Translate(e, target, "creating the database on");
        }
    }

    /// <summary>
    /// Marks a database this restore created until the restore commits: a restore killed before it could drop the
    /// database leaves it marked, and the next try says so instead of a bare "already exists".
    /// </summary>
    private static async Task MarkInterruptedAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        await using var connection = await OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
        await using var mark = new NpgsqlCommand(
            $"SELECT format('COMMENT ON DATABASE %I IS %L', $1::text, $2 || to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"') || ', process ' || $3)",
            connection);
        mark.Parameters.Add(new NpgsqlParameter { Value = target.Database });
        mark.Parameters.Add(new NpgsqlParameter { Value = InterruptedMark + " " });
        mark.Parameters.Add(new NpgsqlParameter { Value = $"{Environment.ProcessId} on {Environment.MachineName}" });
        var markSql = (string)(await mark.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        await using var set = new NpgsqlCommand(markSql, connection);
        await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The start of the comment on a database that a restore created and has not finished.</summary>
    public const string InterruptedMark = "bulwark: restore in progress since";

    // The restore committed; a mark left behind only changes the message of a later --create of this name.
    private static Task ClearInterruptedMarkAsync(PgConnectionSettings target, CancellationToken cancellationToken) =>
        TryOnMaintenanceAsync(target, $"COMMENT ON DATABASE {QuoteIdentifier(target.Database)} IS NULL", cancellationToken);

    // The restore's own failure is what the user needs to see.
    private static Task DropDatabaseAsync(PgConnectionSettings target, CancellationToken cancellationToken) =>
        TryOnMaintenanceAsync(target, $"DROP DATABASE IF EXISTS {QuoteIdentifier(target.Database)} WITH (FORCE)", cancellationToken);

    /// <summary>Runs one statement on the maintenance database; a failure is not the caller's to report.</summary>
    private static async Task TryOnMaintenanceAsync(PgConnectionSettings target, string sql, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await OpenMaintenanceAsync(target, cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or BulwarkException)
        {
        }
    }

    /// <summary>A connection to the server's maintenance database ("postgres", else "template1").</summary>
    public static async Task<NpgsqlConnection> OpenMaintenanceAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        try
        {
            return await PgErrors.OpenAsync(target.WithDatabase("postgres"), "connecting to", cancellationToken).ConfigureAwait(false);
        }
        catch (BulwarkException e) when (e.Message.Contains("does not exist", StringComparison.Ordinal))
        {
            return await PgErrors.OpenAsync(target.WithDatabase("template1"), "connecting to", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>pg_restore --schema restores what is in a schema but not the schema itself: create it when missing.</summary>
    private static async Task CreateSchemasAsync(PgConnectionSettings target, IReadOnlyList<string> schemas,
        CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(target, "connecting to", cancellationToken).ConfigureAwait(false);
        foreach (var schema in schemas)
        {
            await using var create = new NpgsqlCommand($"CREATE SCHEMA IF NOT EXISTS {QuoteIdentifier(schema)}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task EnsureEmptyAsync(PgConnectionSettings target, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(target, "connecting to", cancellationToken).ConfigureAwait(false);
        const string sql = """
            SELECT
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%')
            + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema'))
            + (SELECT count(*) FROM pg_namespace n
                WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND n.nspname NOT LIKE 'pg\_%')
            + (SELECT count(*) FROM pg_largeobject_metadata)
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        var count = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        if (count > 0)
            throw new BulwarkException(ErrorKind.Refused,
                $"database \"{target.Database}\" on {target.Display} is not empty ({count} objects)",
                "restore into a new database with --create, or pass --clean to replace what is there");
    }

    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string QuoteLiteral(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
