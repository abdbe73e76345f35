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
/// The database part of backup --jobs N, inside a snapshot exported by the caller's open transaction: pg_dump writes
/// one custom archive without the rows of ordinary tables, then N sessions that import the same snapshot COPY one
/// table each at a time (largest first) straight into the repository. Each table is a stream of its own, so an
/// unchanged table deduplicates whole, whichever worker read it and in whatever order.
/// </summary>
internal sealed class ParallelTableDump
{
    // pg_dump pins these in its own sessions; the same here gives byte for byte the COPY text pg_dump would write.
    private const string SessionSetup =
        "SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3; SET TimeZone = 'UTC'; " +
        "SET synchronize_seqscans = off; SET row_security = off; SET statement_timeout = 0; SET lock_timeout = 0; " +
        "SET idle_in_transaction_session_timeout = 0";

    private readonly PgConnectionSettings _settings;
    private readonly PostgresBackupOptions _options;

    public ParallelTableDump(PgConnectionSettings settings, PostgresBackupOptions options)
    {
        _settings = settings;
        _options = options;
    }

    /// <summary>Which tables' rows the workers read; Bulwark excludes them from pg_dump's archive.</summary>
    public async Task<IReadOnlyList<TableToCopy>> PlanAsync(NpgsqlConnection snapshotConnection, CancellationToken cancellationToken)
    {
        var excluded = _options.ExcludeTableData.Select(DumpPattern.Parse).ToList();
        var tables = new List<TableToCopy>();
        // Ordinary tables of the database's own schemas; an extension's tables are the extension's to dump.
        await using (var find = new NpgsqlCommand("""
            SELECT n.nspname, c.relname, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
                   coalesce((SELECT string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum)
                             FROM pg_catalog.pg_attribute a
                             WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), ''),
                   pg_catalog.pg_table_size(c.oid), pg_catalog.pg_table_is_visible(c.oid)
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r'
              AND n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\_%'
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                              WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY 5 DESC, 1, 2
            """, snapshotConnection))
        await using (var reader = await find.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var (schema, name) = (reader.GetString(0), reader.GetString(1));
                if (excluded.Any(p => p.Matches(schema, name, reader.GetBoolean(5))))
                    continue;
                tables.Add(new TableToCopy(schema, name, reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
            }
        }
        // Held until the backup ends, as pg_dump holds its own: no table read later in the snapshot can be dropped or
        // altered in between.
        foreach (var batch in tables.Chunk(1000))
        {
            await using var lockTables = new NpgsqlCommand(
                $"LOCK TABLE {string.Join(", ", batch.Select(t => "ONLY " + t.Qualified))} IN ACCESS SHARE MODE", snapshotConnection)
            {
                CommandTimeout = 0,
            };
            await lockTables.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        return tables;
    }

    /// <summary>pg_dump's arguments that leave the planned tables' rows to the workers.</summary>
    public static IEnumerable<string> ExcludeArguments(IReadOnlyList<TableToCopy> tables) =>
        tables.Select(t => $"--exclude-table-data={Quote(t.Schema)}.{Quote(t.Name)}");

    // Inside double quotes a pg_dump pattern is literal.
    private static string Quote(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Stores the rows of every planned table whose definition pg_dump's archive (already stored, its table of contents
    /// seen by <see cref="TableOfContentsObserver"/>) holds: one outside the dumped schemas is left out, as pg_dump
    /// leaves it out. Returns the table streams in the archive's order, the order a single archive holds data in.
    /// </summary>
    public async Task<IReadOnlyList<StreamEntry>> CopyTablesAsync(IReadOnlyList<TableToCopy> tables, string snapshotId,
        StreamUploader uploader, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var toc = _tocOf ?? throw new InvalidOperationException("the archive's table of contents was not observed");
        if (!toc.TocComplete)
            throw new BulwarkException(ErrorKind.Failed, "pg_dump's archive ended inside its table of contents",
                "run pg_dump by hand to see why");
        var dumped = new Dictionary<(string, string), int>();
        foreach (var entry in toc.Entries.Where(e => e.Description == "TABLE"))
            dumped.TryAdd((entry.Namespace ?? "", entry.Tag), dumped.Count);
        var copies = tables.Where(t => dumped.ContainsKey((t.Schema, t.Name))).ToList();
        var results = new ConcurrentDictionary<TableToCopy, StreamEntry>();
        var queue = new ConcurrentQueue<TableToCopy>(copies);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var workers = Enumerable.Range(0, Math.Clamp(copies.Count, 1, Math.Max(1, _options.Jobs)))
            .Select(_ => Task.Run(() => WorkAsync(queue, snapshotId, uploader, results, progress, failed), CancellationToken.None))
            .ToList();
        await Workers.WhenAllAsync(workers).ConfigureAwait(false);
        return copies.OrderBy(t => dumped[(t.Schema, t.Name)]).Select(t => results[t]).ToList();
    }

    private FingerprintBuilder? _tocOf;

    /// <summary>Reads the archive's table of contents as it streams past.</summary>
    public IStreamObserver TableOfContentsObserver()
    {
        _tocOf = new FingerprintBuilder();
        return new TocObserver(new CustomArchiveParser(_tocOf));
    }

    private async Task WorkAsync(ConcurrentQueue<TableToCopy> queue, string snapshotId, StreamUploader uploader,
        ConcurrentDictionary<TableToCopy, StreamEntry> results, IProgress<long>? progress, CancellationTokenSource failed)
    {
        var cancellationToken = failed.Token;
        try
        {
            if (queue.IsEmpty)
                return;
            await using var connection = await PgErrors.OpenAsync(_settings, "connecting to", cancellationToken).ConfigureAwait(false);
            await using (var begin = new NpgsqlCommand(
                             $"{SessionSetup}; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; SET TRANSACTION SNAPSHOT '{snapshotId.Replace("'", "''", StringComparison.Ordinal)}'",
                             connection))
                await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            while (queue.TryDequeue(out var table))
            {
                var columns = table.Columns.Length == 0 ? "" : $"({table.Columns})";
                var attributes = new Dictionary<string, string>
                {
                    [ParallelSnapshot.SchemaAttribute] = table.Schema,
                    [ParallelSnapshot.TableAttribute] = table.Name,
                    [ParallelSnapshot.CopyAttribute] = $"COPY {table.Qualified} {columns} FROM stdin;\n",
                };
                StreamEntry entry;
                try
                {
                    using var export = await connection.BeginTextExportAsync($"COPY {table.Qualified} {columns} TO STDOUT", cancellationToken)
                        .ConfigureAwait(false);
                    // The rows as the server sends them: no decoding to text and back.
                    var raw = ((StreamReader)export).BaseStream;
                    entry = await uploader.UploadAsync(ParallelSnapshot.TableStreamPrefix + $"{table.Schema}.{table.Name}",
                        ParallelSnapshot.TableStreamKind, raw, _options.TableObservers?.Invoke(table.Schema, table.Name),
                        attributes, progress, cancellationToken).ConfigureAwait(false);
                }
                catch (NpgsqlException e)
                {
                    throw PgErrors.Translate(e, _settings, $"reading {table.Qualified} from");
                }
                results[table] = entry;
            }
            await using var commit = new NpgsqlCommand("COMMIT", connection);
            await commit.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed class TocObserver(CustomArchiveParser parser) : IStreamObserver
    {
        public void Observe(ReadOnlySpan<byte> data)
        {
            if (!parser.TocComplete)
                parser.Feed(data);
        }

        public void Complete()
        {
        }
    }
}

/// <summary>A table whose rows a worker of a parallel backup reads.</summary>
internal sealed record TableToCopy(string Schema, string Name, string Qualified, string Columns, long Size);
