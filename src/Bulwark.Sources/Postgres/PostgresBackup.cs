using System.Globalization;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres.Parallel;
using Bulwark.Sources.Postgres.Supabase;
using Bulwark.Sources.Processes;
using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Dumps one database at one point in time into a repository: a REPEATABLE READ, READ ONLY transaction exports its
/// snapshot and stays open while pg_dump (custom format, uncompressed, so that unchanged data deduplicates) dumps
/// with --snapshot. pg_dump's output streams straight into the repository; nothing is spooled to disk.
/// </summary>
public sealed class PostgresBackup
{
    public const string DumpStreamName = "database.dump";
    public const string DumpStreamKind = "pg_dump";
    public const string GlobalsStreamName = "globals.sql";
    public const string GlobalsStreamKind = "pg_dumpall-globals";

    private readonly PgConnectionSettings _settings;
    private readonly PostgresBackupOptions _options;
    private readonly PgTools _tools;

    public PostgresBackup(PgConnectionSettings settings, PostgresBackupOptions options)
    {
        _settings = settings;
        _options = options;
        _tools = new PgTools(options.BinDirectory);
    }

    public Task<PostgresBackupResult> RunAsync(StreamUploader uploader, IProgress<long>? progress,
        CancellationToken cancellationToken) =>
        RunAsync(Task.FromResult(uploader), progress, cancellationToken);

    /// <param name="uploader">
    /// Awaited only once pg_dump runs, so that opening the repository (unlocking its key, reading manifests) overlaps
    /// with connecting, exporting the snapshot and pg_dump's own catalog reads; pg_dump waits on its full pipe meanwhile.
    /// </param>
    public async Task<PostgresBackupResult> RunAsync(Task<StreamUploader> uploader, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        if (_settings.Host.EndsWith(".pooler.supabase.com", StringComparison.OrdinalIgnoreCase) && _settings.Port == 6543)
            throw new BulwarkException(ErrorKind.Configuration,
                $"{_settings.Display} is Supabase's transaction pooler, which cannot hold the snapshot a consistent dump needs",
                "use the session pooler (same host, port 5432) or the direct connection db.<project>.supabase.co:5432");
        // Looked up while connecting (on its own thread: the search and `pg_dump --version` start synchronously); checked
        // against the server's version once that is known.
        var findDump = Task.Run(() => _tools.FindAsync("pg_dump", null, cancellationToken), CancellationToken.None);
        NpgsqlConnection connection;
        try
        {
            connection = await PgErrors.OpenAsync(_settings, "connecting to", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // The connection's error is the one to report; the lookup is only let finish.
            await Task.WhenAny(findDump).ConfigureAwait(false);
            throw;
        }
        await using var _ = connection.ConfigureAwait(false);
        var facts = await PgServerFacts.ReadAsync(connection, cancellationToken).ConfigureAwait(false);
        var (pgDump, dumpVersion) = PgTools.CheckServer("pg_dump", await findDump.ConfigureAwait(false), facts.Version.Major);
        var tools = new Dictionary<string, string> { ["pg_dump"] = dumpVersion.ToString() };
        var supabase = await SupabaseDetection.IsSupabaseAsync(_options.Profile, _settings.Host, connection, cancellationToken)
            .ConfigureAwait(false);
        if (_options.Jobs > 1)
            ParallelRefusal(supabase, facts);

        string snapshotId;
        // The snapshot's transaction sits idle while pg_dump works: a server-side idle timeout must not end it.
        // Both sessions print timestamps in UTC, whatever the client's or the database's time zone: the dump's text then
        // does not change with the environment (which would defeat deduplication), and fingerprints read here match it.
        await using (var begin = new NpgsqlCommand(
                         "SET idle_in_transaction_session_timeout = 0; SET TimeZone = 'UTC'; BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", connection))
            await begin.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await using (var export = new NpgsqlCommand("SELECT pg_export_snapshot()", connection))
            snapshotId = (string)(await export.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        // What the project's role cannot read is decided in the snapshot pg_dump dumps.
        var supabasePlan = supabase
            ? await SupabaseDumpPlan.ReadAsync(connection, _options.Platform, cancellationToken).ConfigureAwait(false)
            : null;
        if (_options.InsideSnapshot is not null)
            await _options.InsideSnapshot(connection, cancellationToken).ConfigureAwait(false);

        var streams = new List<StreamEntry>();
        // backup --jobs: pg_dump leaves the rows of ordinary tables to parallel sessions in the same snapshot.
        var parallel = _options.Jobs > 1 ? new ParallelTableDump(_settings, _options) : null;
        IReadOnlyList<TableToCopy> copied = parallel is null ? [] : await parallel.PlanAsync(connection, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<IStreamObserver>? dumpObservers = _options.DumpObservers?.Invoke();
        if (parallel is not null)
            dumpObservers = [.. dumpObservers ?? [], parallel.TableOfContentsObserver()];
        var (dumpName, dumpKind) = parallel is null
            ? (DumpStreamName, DumpStreamKind)
            : (ParallelSnapshot.SchemaStreamName, ParallelSnapshot.SchemaStreamKind);
        var arguments = new List<string> { "--format=custom", "--compress=0", "--no-password", $"--snapshot={snapshotId}" };
        arguments.AddRange(_options.Schemas.Select(s => $"--schema={s}"));
        arguments.AddRange(_options.ExcludeSchemas.Select(s => $"--exclude-schema={s}"));
        arguments.AddRange(_options.ExcludeTableData.Select(t => $"--exclude-table-data={t}"));
        if (supabasePlan is not null)
            arguments.AddRange(supabasePlan.DumpArguments());
        arguments.AddRange(ParallelTableDump.ExcludeArguments(copied));
        var dumpEnvironment = new Dictionary<string, string?>(_settings.ToEnvironment());
        // Last in PGOPTIONS wins over a time zone the connection's own options may set.
        dumpEnvironment["PGOPTIONS"] = $"{dumpEnvironment.GetValueOrDefault("PGOPTIONS")} -c TimeZone=UTC".TrimStart();
        await using (var dump = ProcessRunner.Start(pgDump, arguments, dumpEnvironment, redirectInput: false,
                         redirectOutput: true, cancellationToken))
        {
            var attributes = new Dictionary<string, string>
            {
                ["format"] = "custom",
                ["encoding"] = facts.Encoding,
                ["collate"] = facts.Collate,
                ["ctype"] = facts.CType,
            };
            StreamEntry entry;
            try
            {
                entry = await (await uploader.ConfigureAwait(false)).UploadAsync(dumpName, dumpKind, BatchingPipeStream.Wrap(dump.StandardOutput),
                    dumpObservers, attributes, progress, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                dump.Kill();
                await dump.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            var code = await dump.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (code != 0)
                throw await DumpFailedAsync(code, dump.ErrorSummary, supabase, connection).ConfigureAwait(false);
            if (entry.Size == 0)
                throw new BulwarkException(ErrorKind.Failed, "pg_dump wrote nothing", "run pg_dump by hand to see why");
            streams.Add(entry);
        }
        if (parallel is not null)
            streams.AddRange(await parallel.CopyTablesAsync(copied, snapshotId, await uploader.ConfigureAwait(false), progress,
                cancellationToken).ConfigureAwait(false));

        try
        {
            await using var end = new NpgsqlCommand("COMMIT", connection);
            await end.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            // pg_dump imported the snapshot when it started and has finished: losing this connection now costs nothing.
        }

        if (supabasePlan is not null)
        {
            using var document = new MemoryStream(SnapshotPlatform.Serialize(supabasePlan.Document()));
            streams.Add(await (await uploader.ConfigureAwait(false)).UploadAsync(SnapshotPlatform.StreamName, SnapshotPlatform.StreamKind,
                document, cancellationToken: cancellationToken).ConfigureAwait(false));
        }

        if (_options.Globals ?? supabase)
        {
            var (pgDumpAll, dumpAllVersion) = await _tools.FindAsync("pg_dumpall", facts.Version.Major, cancellationToken).ConfigureAwait(false);
            tools["pg_dumpall"] = dumpAllVersion.ToString();
            var globalsArguments = new List<string> { "--globals-only", "--no-password", $"--database={_settings.Database}" };
            if (!facts.IsSuperuser)
                globalsArguments.Add("--no-role-passwords");
            await using var dumpAll = ProcessRunner.Start(pgDumpAll, globalsArguments, _settings.ToEnvironment(),
                redirectInput: false, redirectOutput: true, cancellationToken);
            var globalsAttributes = new Dictionary<string, string> { ["role-passwords"] = facts.IsSuperuser ? "included" : "omitted" };
            using var filtered = supabasePlan is null
                ? null
                : await TeamGlobalsAsync(dumpAll, supabasePlan.Platform, cancellationToken).ConfigureAwait(false);
            if (filtered is not null)
                globalsAttributes["roles"] = "team";
            var entry = await (await uploader.ConfigureAwait(false)).UploadAsync(GlobalsStreamName, GlobalsStreamKind,
                filtered ?? dumpAll.StandardOutput, attributes: globalsAttributes, cancellationToken: cancellationToken).ConfigureAwait(false);
            var code = await dumpAll.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (code != 0)
                throw ToolFailed("pg_dumpall", code, dumpAll.ErrorSummary);
            streams.Add(entry);
        }

        var source = new SourceInfo
        {
            Kind = "postgresql",
            Database = facts.Database,
            Server = _settings.Host.StartsWith('/') ? $"{_settings.Host}:{_settings.Port}" : $"{_settings.Host}:{_settings.Port.ToString(CultureInfo.InvariantCulture)}",
            ServerVersion = facts.VersionText,
            DatabaseSize = facts.DatabaseSize,
            User = facts.User,
            Profile = supabase ? SnapshotPlatform.ProfileName : "plain",
        };
        return new PostgresBackupResult(streams, source, tools, facts);
    }

    /// <summary>
    /// The team's part of pg_dumpall's globals (see <see cref="SupabaseGlobals"/>): read whole (a few kilobytes) and
    /// filtered only once pg_dumpall has succeeded, so that a cut-off script is reported as pg_dumpall's failure.
    /// </summary>
    private static async Task<MemoryStream> TeamGlobalsAsync(ProcessRunner dumpAll, SupabasePlatform platform,
        CancellationToken cancellationToken)
    {
        var script = await SupabaseGlobals.ReadAsync(dumpAll.StandardOutput, cancellationToken).ConfigureAwait(false);
        var code = await dumpAll.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw ToolFailed("pg_dumpall", code, dumpAll.ErrorSummary);
        return SupabaseGlobals.FilterToStream(script, platform);
    }

    /// <summary>
    /// pg_dump's failure; a permission error on what looks like a Supabase project backed up with the plain profile
    /// says which profile reads it.
    /// </summary>
    private async Task<BulwarkException> DumpFailedAsync(int code, string? summary, bool supabase, NpgsqlConnection connection)
    {
        var error = ToolFailed("pg_dump", code, summary);
        if (supabase || summary?.Contains("permission denied", StringComparison.OrdinalIgnoreCase) != true)
            return error;
        bool platform;
        try
        {
            platform = SupabaseDetection.IsSupabaseHost(_settings.Host) ||
                       await SupabaseDetection.HasPlatformAsync(connection, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException)
        {
            return error;
        }
        return platform
            ? new BulwarkException(error.Kind, error.Message,
                "this is a Supabase project, whose platform tables its postgres role may not read: set 'postgres.profile' to supabase (or auto)")
            : error;
    }

    /// <summary>What a parallel backup cannot do, said before anything is dumped.</summary>
    private static void ParallelRefusal(bool supabase, PgServerFacts facts)
    {
        if (supabase)
            throw new BulwarkException(ErrorKind.Usage,
                "--jobs is not supported with the supabase profile (its dump is filtered and restored as one script)",
                "back up this project without --jobs");
        if (!string.Equals(facts.Encoding, "UTF8", StringComparison.OrdinalIgnoreCase))
            throw new BulwarkException(ErrorKind.Usage,
                $"--jobs needs a database in UTF8; this one is in {facts.Encoding}",
                "back up this database without --jobs");
    }

    internal static BulwarkException ToolFailed(string program, int code, string? summary)
    {
        summary ??= "no message";
        if (summary.Contains("password authentication failed", StringComparison.OrdinalIgnoreCase) ||
            summary.Contains("no password supplied", StringComparison.OrdinalIgnoreCase))
            return new BulwarkException(ErrorKind.SourceUnavailable, $"{program} could not log in: {summary}",
                "check the user and the password (PGPASSWORD, ~/.pgpass, or the connection URL)");
        if (summary.Contains("could not connect", StringComparison.OrdinalIgnoreCase) ||
            summary.Contains("connection to server", StringComparison.OrdinalIgnoreCase))
            return new BulwarkException(ErrorKind.SourceUnavailable, $"{program} could not connect: {summary}",
                "check that the server is running and reachable");
        if (summary.Contains("server version mismatch", StringComparison.OrdinalIgnoreCase) ||
            summary.Contains("unsupported version", StringComparison.OrdinalIgnoreCase))
            return new BulwarkException(ErrorKind.ToolMissing, $"{program} does not support this server: {summary}",
                "install client programs at least as new as the server, or set 'postgres.bin-dir'");
        var signal = code > 128 ? $" (killed by signal {code - 128})" : "";
        return new BulwarkException(ErrorKind.Failed, $"{program} failed with exit code {code}{signal}: {summary}",
            "no snapshot was written; fix the cause and run the backup again");
    }
}
