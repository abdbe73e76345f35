using System.Collections.Concurrent;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Processes;
using Npgsql;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// Restores a parallel snapshot with N sessions, straight from the repository: pg_restore creates the schema
/// (pre-data, one transaction) from the archive, which holds no table rows and is spooled whole; then N sessions each
/// COPY one table's stream at a time into the server (largest first; the table is truncated in the same transaction so
/// that its rows load frozen, as pg_restore -j does) while pg_restore loads the archive's own data (sequence values,
/// large objects); then pg_restore -j N builds indexes and constraints (post-data). No table's rows touch the disk.
/// </summary>
internal sealed class ParallelTableRestore
{
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
        var tables = ParallelSnapshot.Tables(manifest).Select(t => (Stream: t, Table: ParallelSnapshot.Describe(t)))
            .OrderByDescending(t => t.Stream.Size).ToList();
        using var spool = RestoreSpool.Create(_options.SpoolDirectory);
        await using (var file = spool.OpenWrite())
            await repository.CopyStreamAsync(schema, file, progress, cancellationToken: cancellationToken).ConfigureAwait(false);

        await PgRestoreAsync(pgRestore, [.. arguments, "--section=pre-data", "--single-transaction", "--exit-on-error", spool.Path],
            environment, cancellationToken).ConfigureAwait(false);

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queue = new ConcurrentQueue<(StreamEntry Stream, (string Schema, string Table, string Copy) Table)>(tables);
        var work = new List<Task>
        {
            Workers.StopOthersOnFailure(PgRestoreAsync(pgRestore, [.. arguments, "--section=data", "--exit-on-error", spool.Path], environment, failed.Token), failed),
        };
        work.AddRange(Enumerable.Range(0, Math.Clamp(tables.Count, 1, _options.Jobs))
            .Select(_ => Task.Run(() => Workers.StopOthersOnFailure(LoadAsync(repository, queue, target, progress, failed.Token), failed), CancellationToken.None)));
        await Workers.WhenAllAsync(work).ConfigureAwait(false);

        await PgRestoreAsync(pgRestore, [.. arguments, "--section=post-data", $"--jobs={_options.Jobs}", spool.Path],
            environment, cancellationToken).ConfigureAwait(false);
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

    private async Task LoadAsync(BackupRepository repository,
        ConcurrentQueue<(StreamEntry Stream, (string Schema, string Table, string Copy) Table)> queue, PgConnectionSettings target,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(target, "connecting to", cancellationToken).ConfigureAwait(false);
        var settings = string.Join("; ", _options.SessionSettings.Select(s => $"SET {s.Key} = '{s.Value.Replace("'", "''", StringComparison.Ordinal)}'")
            .Append("SET row_security = off"));
        await using (var set = new NpgsqlCommand(settings, connection))
            await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        while (queue.TryDequeue(out var item))
        {
            var (stream, (schema, table, copy)) = item;
            var qualified = $"{PostgresRestore.QuoteIdentifier(schema)}.{PostgresRestore.QuoteIdentifier(table)}";
            try
            {
                await using (var begin = new NpgsqlCommand($"BEGIN; TRUNCATE TABLE ONLY {qualified}", connection))
                    await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                var statement = copy[..^" FROM stdin;\n".Length] + " FROM STDIN WITH (FREEZE)";
                var writer = (NpgsqlCopyTextWriter)await connection.BeginTextImportAsync(statement, cancellationToken).ConfigureAwait(false);
                try
                {
                    // The stored COPY text goes to the server as it is (UTF-8, the session's encoding and the backup's).
                    await repository.CopyStreamAsync(stream, writer.BaseStream, progress, cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                }
                catch
                {
                    await writer.CancelAsync().ConfigureAwait(false);
                    throw;
                }
                await writer.DisposeAsync().ConfigureAwait(false);
                await using var commit = new NpgsqlCommand("COMMIT", connection);
                await commit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        }
    }
}
