using System.Collections.Concurrent;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Processes;
using Npgsql;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// Restores a parallel snapshot with N jobs, straight from the repository: pg_restore creates the schema (pre-data, one
/// transaction) from the archive, which holds no table rows and is spooled whole; then the jobs load one table's stream
/// each at a time (largest first; the table is truncated in the same transaction so that its rows load frozen, as
/// pg_restore -j does) while pg_restore loads the archive's own data (sequence values, large objects). A job that
/// frees up first builds the indexes and constraints of a large table already loaded (<see cref="PostDataPlan"/>), as
/// pg_restore -j does, then loads the next table; what spans tables (foreign keys) or belongs to small ones is built
/// by one pg_restore -j N at the end. No table's rows touch the disk.
/// </summary>
internal sealed class ParallelTableRestore
{
    /// <summary>Tables with fewer bytes of rows wait for the final pass: a pg_restore of their own costs more than it saves.</summary>
    internal const long EarlyBuildMinimumBytes = 16L << 20;

    /// <summary>At most this many tables get a pg_restore of their own for their indexes; the rest are built at the end.</summary>
    internal const int EarlyBuildMaximumTables = 16;

    private readonly PostgresRestoreOptions _options;

    public ParallelTableRestore(PostgresRestoreOptions options)
    {
        _options = options;
    }

    public async Task RunAsync(BackupRepository repository, SnapshotManifest manifest, string pgRestore,
        IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?> environment, PgConnectionSettings target,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var schema = manifest.FindStream(ParallelSnapshot.SchemaStreamName)!;
        var tables = ParallelSnapshot.Tables(manifest).Select(t => new TableLoad(t, ParallelSnapshot.Describe(t)))
            .OrderByDescending(t => t.Stream.Size).ToList();
        using var spool = RestoreSpool.Create(_options.SpoolDirectory);
        await using (var file = spool.OpenWrite())
            await repository.CopyStreamAsync(schema, file, progress, cancellationToken: cancellationToken).ConfigureAwait(false);

        // pg_restore lists the post-data items while another creates the schema: the list does not depend on it.
        var preData = PgRestoreAsync(pgRestore, [.. arguments, "--section=pre-data", "--single-transaction", "--exit-on-error", spool.Path],
            environment, cancellationToken);
        var listing = ProcessRunner.RunAsync(pgRestore, [.. arguments, "--list", "--section=post-data", spool.Path], environment,
            cancellationToken);
        await Workers.WhenAllAsync([preData, listing]).ConfigureAwait(false);
        var plan = await PlanPostDataAsync(await listing.ConfigureAwait(false), spool.Path, tables, cancellationToken).ConfigureAwait(false);

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sessions = new ConcurrentBag<NpgsqlConnection>();
        try
        {
            var data = Workers.StopOthersOnFailure(
                PgRestoreAsync(pgRestore, [.. arguments, "--section=data", "--exit-on-error", spool.Path], environment, failed.Token), failed);
            var schedule = Workers.StopOthersOnFailure(LoadSchedule.RunAsync(tables, _options.Jobs,
                t => plan.Early.TryGetValue(t.Key, out var items) ? items.Count : 0,
                (t, token) => LoadAsync(repository, t, sessions, target, progress, token),
                (t, jobs, token) => BuildAsync(plan.Early[t.Key], jobs, token), failed), failed);
            await Workers.WhenAllAsync([data, schedule]).ConfigureAwait(false);
        }
        finally
        {
            foreach (var session in sessions)
                await session.DisposeAsync().ConfigureAwait(false);
        }

        if (plan.Final.Count > 0)
            await BuildAsync(plan.Final, _options.Jobs, cancellationToken).ConfigureAwait(false);

        // pg_restore of the listed post-data items only, with that many jobs.
        async Task BuildAsync(IReadOnlyList<string> items, int jobs, CancellationToken token)
        {
            var list = await spool.WriteListAsync(items, token).ConfigureAwait(false);
            await PgRestoreAsync(pgRestore, [.. arguments, $"--use-list={list}", $"--jobs={jobs}", spool.Path], environment, token)
                .ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The post-data items pg_restore would build (<paramref name="listing"/>, its --list of them), split into each large
    /// table's own and the final pass's by the dependencies in the archive's table of contents.
    /// </summary>
    private async Task<PostDataPlan> PlanPostDataAsync(string listing, string archive, IReadOnlyList<TableLoad> tables,
        CancellationToken cancellationToken)
    {
        var early = tables.Where(t => t.Stream.Size >= _options.EarlyBuildMinimumBytes).Take(EarlyBuildMaximumTables)
            .Select(t => t.Key).ToHashSet();
        var toc = new FingerprintBuilder();
        var parser = new CustomArchiveParser(toc);
        await using var file = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: false);
        var buffer = new byte[64 * 1024];
        while (!parser.TocComplete)
        {
            var read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break; // pg_restore read this archive just now; an archive that ends here has no post-data to plan
            parser.Feed(buffer.AsSpan(0, read));
        }
        return PostDataPlan.Build(toc.Entries, listing, early);
    }

    private static async Task PgRestoreAsync(string pgRestore, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        await using var restore = ProcessRunner.Start(pgRestore, arguments, environment, redirectInput: false,
            redirectOutput: false, cancellationToken);
        var code = await restore.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw PostgresRestore.RestoreFailed(code, restore.ErrorSummary, parallel: true);
    }

    /// <summary>Loads one table's rows in a session of its own (one kept from an earlier load, or a new one).</summary>
    private async Task LoadAsync(BackupRepository repository, TableLoad load, ConcurrentBag<NpgsqlConnection> sessions,
        PgConnectionSettings target, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var (schema, table, copy) = load.Table;
        if (!sessions.TryTake(out var connection))
        {
            connection = await PgErrors.OpenAsync(target, "connecting to", cancellationToken).ConfigureAwait(false);
            try
            {
                var settings = string.Join("; ", _options.SessionSettings.Select(s => $"SET {s.Key} = '{s.Value.Replace("'", "''", StringComparison.Ordinal)}'")
                    .Append("SET row_security = off"));
                await using var set = new NpgsqlCommand(settings, connection);
                await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        var qualified = $"{PostgresRestore.QuoteIdentifier(schema)}.{PostgresRestore.QuoteIdentifier(table)}";
        var loaded = false;
        try
        {
            await using (var begin = new NpgsqlCommand($"BEGIN; TRUNCATE TABLE ONLY {qualified}", connection))
                await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            var statement = copy[..^" FROM stdin;\n".Length] + " FROM STDIN WITH (FREEZE)";
            var writer = (NpgsqlCopyTextWriter)await connection.BeginTextImportAsync(statement, cancellationToken).ConfigureAwait(false);
            try
            {
                // The stored COPY text goes to the server as it is (UTF-8, the session's encoding and the backup's).
                await repository.CopyStreamAsync(load.Stream, writer.BaseStream, progress, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
            }
            catch
            {
                await writer.CancelAsync().ConfigureAwait(false);
                throw;
            }
            await writer.DisposeAsync().ConfigureAwait(false);
            await using (var commit = new NpgsqlCommand("COMMIT", connection))
                await commit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            loaded = true;
        }
        catch (PostgresException e)
        {
            throw new BulwarkException(ErrorKind.Failed, $"loading the rows of {schema}.{table} failed: {e.SqlState}: {e.MessageText}",
                "no data of this table was kept; fix the cause and run the restore again", e);
        }
        catch (NpgsqlException e)
        {
            throw PgErrors.Translate(e, target, $"loading {schema}.{table} into");
        }
        finally
        {
            // A session that failed mid-load is in no state for the next table.
            if (loaded)
                sessions.Add(connection);
            else
                await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A table stream of the snapshot and the table it fills.</summary>
    private sealed record TableLoad(StreamEntry Stream, (string Schema, string Table, string Copy) Table)
    {
        public (string Schema, string Table) Key => (Table.Schema, Table.Table);
    }
}
