using System.Buffers.Binary;
using System.Formats.Tar;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Processes;
using Npgsql;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// A base backup of a whole cluster through PostgreSQL's own protocol: pg_basebackup writes one tar to its standard
/// output (-D - -Ft), with the WAL from start to stop included (-X fetch) so that the backup can be recovered even
/// without the archive, and the server's backup_manifest injected at its end. Each tar member becomes a stream of
/// its own, chunked on the file's content alone, so that a relation file that did not change costs nothing in the
/// next base backup (tar headers never land inside a chunk). Nothing is spooled to disk.
/// PostgreSQL 15's pg_basebackup has no parallel mode: the server sends one file after another; chunks are hashed,
/// compressed and stored in parallel as for any backup.
/// When the server runs on this machine and its data folder is readable here, the files are read directly instead
/// (<see cref="DirectBaseBackup"/>), into the same snapshot.
/// </summary>
public sealed class PhysicalBackup
{
    private readonly PgConnectionSettings _settings;
    private readonly PgTools _tools;
    private readonly TimeProvider _time;
    private readonly BaseBackupMethod _method;
    private readonly int _jobs;

    /// <param name="jobs">Files read at once by a direct read (pg_basebackup streams through one connection).</param>
    public PhysicalBackup(PgConnectionSettings settings, string? binDirectory, TimeProvider time, BaseBackupMethod method = BaseBackupMethod.Auto,
        int jobs = 1)
    {
        _settings = settings;
        _time = time;
        _tools = new PgTools(binDirectory);
        _method = method;
        _jobs = jobs;
    }

    /// <summary>Why the last run streamed through pg_basebackup although a direct read was allowed (null if it read directly or was told to stream).</summary>
    public string? DirectReadUnavailable { get; private set; }

    public const string ManifestFileName = "backup_manifest";
    private const string ControlFileName = "global/pg_control";

    public async Task<PhysicalBackupResult> RunAsync(Task<StreamUploader> uploader, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var find = _tools.FindAsync("pg_basebackup", null, cancellationToken);
        ServerFacts facts;
        try
        {
            facts = await ReadFactsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await Task.WhenAny(find).ConfigureAwait(false);
            throw;
        }
        if (facts.Tablespaces > 0)
            throw new BulwarkException(ErrorKind.Refused,
                $"the cluster at {_settings.Display} has {facts.Tablespaces} tablespace(s) besides pg_default, which a base backup streamed as one tar cannot hold",
                "back it up with 'bulwark backup' (logical), or move the tables into pg_default");
        if (_method != BaseBackupMethod.PgBaseBackup)
        {
            var (direct, reason) = await DirectBaseBackup.TryBeginAsync(_settings, facts.VersionNumber, cancellationToken).ConfigureAwait(false);
            if (direct is not null)
            {
                await Task.WhenAny(find).ConfigureAwait(false);
                await using (direct.ConfigureAwait(false))
                    return await RunDirectAsync(direct, uploader, facts, progress, cancellationToken).ConfigureAwait(false);
            }
            if (_method == BaseBackupMethod.Direct)
            {
                await Task.WhenAny(find).ConfigureAwait(false);
                throw new BulwarkException(ErrorKind.Refused, $"the base backup cannot read the data folder of {_settings.Display} directly: {reason}",
                    "run Bulwark on the server's machine as a user who may read its data folder (the server's own), or set backup.physical-method to auto");
            }
            DirectReadUnavailable = reason;
        }
        var (program, version) = PgTools.CheckServer("pg_basebackup", await find.ConfigureAwait(false), facts.Version.Major);

        var arguments = new List<string>
        {
            "--pgdata=-", "--format=tar", "--wal-method=fetch", "--checkpoint=fast", "--no-password",
            "--label=bulwark base backup", "--verbose",
        };
        IReadOnlyList<StreamEntry> streams;
        var files = new List<PhysicalFileEntry>();
        string? label = null;
        byte[]? manifestBytes = null;
        byte[]? control = null;
        await using (var run = ProcessRunner.Start(program, arguments, _settings.ToEnvironment(), redirectInput: false,
                         redirectOutput: true, cancellationToken))
        {
            try
            {
                // The files are many and mostly small: one batch, so that reading the next overlaps storing this one.
                await using var batch = (await uploader.ConfigureAwait(false)).StartBatch(cancellationToken);
                await using var tar = new TarReader(BatchingPipeStream.Wrap(run.StandardOutput), leaveOpen: true);
                while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    // pg_basebackup names the WAL it adds itself "./pg_wal/…".
                    var path = entry.Name.StartsWith("./", StringComparison.Ordinal) ? entry.Name[2..].TrimEnd('/') : entry.Name.TrimEnd('/');
                    if (path.Length == 0 || path.Split('/').Any(p => p is ".." or "."))
                        throw new BulwarkException(ErrorKind.Failed, $"pg_basebackup sent a tar member with an unexpected name '{entry.Name}'",
                            "report it: a base backup holds only paths inside the data folder");
                    var mode = Convert.ToString((int)entry.Mode & 0xFFF, 8);
                    switch (entry.EntryType)
                    {
                        case TarEntryType.Directory:
                            files.Add(new PhysicalFileEntry { Path = path, Type = PhysicalFileEntry.DirectoryType, Mode = mode });
                            break;
                        case TarEntryType.SymbolicLink:
                            files.Add(new PhysicalFileEntry { Path = path, Type = PhysicalFileEntry.SymlinkType, Mode = mode, LinkTarget = entry.LinkName });
                            break;
                        case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        {
                            files.Add(new PhysicalFileEntry { Path = path, Type = PhysicalFileEntry.FileType, Mode = mode });
                            var name = PhysicalBackupInfo.StreamPrefix + path;
                            var attributes = new Dictionary<string, string> { ["mode"] = mode };
                            var data = entry.DataStream ?? Stream.Null;
                            if (path is BackupLabel.FileName or ManifestFileName or ControlFileName)
                            {
                                // Small files whose content the manifest records: read once, kept, then stored.
                                using var copy = new MemoryStream();
                                await data.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
                                var bytes = copy.ToArray();
                                if (path == BackupLabel.FileName)
                                    label = Encoding.UTF8.GetString(bytes);
                                else if (path == ManifestFileName)
                                    manifestBytes = bytes;
                                else
                                    control = bytes;
                                copy.Position = 0;
                                await batch.AddAsync(name, PhysicalBackupInfo.StreamKind, copy, attributes, progress, cancellationToken)
                                    .ConfigureAwait(false);
                            }
                            else
                            {
                                await batch.AddAsync(name, PhysicalBackupInfo.StreamKind, data, attributes, progress, cancellationToken)
                                    .ConfigureAwait(false);
                            }
                            break;
                        }
                        default:
                            throw new BulwarkException(ErrorKind.Failed, $"pg_basebackup sent a tar member of type {entry.EntryType} ('{path}')",
                                "report it: a base backup holds files, folders and links only");
                    }
                }
                // The rest of the output (tar padding) is read so that pg_basebackup can finish writing.
                await run.StandardOutput.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
                streams = await batch.CompleteAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                run.Kill();
                var failed = await run.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                // A tar cut short is pg_basebackup's failure: its own message says why.
                if (failed != 0 && e is not BulwarkException)
                    throw BackupFailed(failed, run.ErrorSummary);
                throw;
            }
            var code = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (code != 0)
                throw BackupFailed(code, run.ErrorSummary);
        }
        if (label is null || manifestBytes is null || control is null)
            throw new BulwarkException(ErrorKind.Failed,
                $"pg_basebackup's output lacks {(label is null ? BackupLabel.FileName : manifestBytes is null ? ManifestFileName : ControlFileName)}",
                "check that pg_basebackup and the server are PostgreSQL 13 or later (backup manifests)");
        var parsed = BackupLabel.Parse(label);
        var stopLsn = StopLsnOf(manifestBytes);
        var stopTime = await ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        // The first 8 bytes of pg_control: the cluster's identifier, in the server's byte order (this machine's, as it runs here or one like it).
        var identifier = BitConverter.IsLittleEndian ? BinaryPrimitives.ReadUInt64LittleEndian(control) : BinaryPrimitives.ReadUInt64BigEndian(control);
        return new PhysicalBackupResult(streams, SourceOf(facts, streams),
            new Dictionary<string, string> { ["pg_basebackup"] = version.ToString() }, Info(facts, parsed, stopLsn, stopTime, files, identifier));
    }

    private static PhysicalBackupInfo Info(ServerFacts facts, BackupLabel label, Lsn stopLsn, DateTimeOffset stopTime,
        IReadOnlyList<PhysicalFileEntry> files, ulong systemIdentifier) => new()
    {
        StartLsn = label.StartLsn.ToString(),
        StopLsn = stopLsn.ToString(),
        Timeline = label.Timeline,
        StartWalFile = label.StartWalFile,
        // The segment holding the last byte before the stop position.
        StopWalFile = new Lsn(Math.Max(stopLsn.Value, 1) - 1).SegmentFileName(label.Timeline, facts.WalSegmentSize),
        SystemIdentifier = systemIdentifier.ToString(CultureInfo.InvariantCulture),
        ServerVersionNumber = facts.VersionNumber,
        StartTime = facts.Now,
        StopTime = stopTime,
        WalSegmentSize = facts.WalSegmentSize,
        BackupLabel = label.Text,
        WalIncluded = "fetch",
        Files = files,
    };

    private SourceInfo SourceOf(ServerFacts facts, IReadOnlyList<StreamEntry> streams) => new()
    {
        Kind = "postgresql",
        Server = $"{_settings.Host}:{_settings.Port.ToString(CultureInfo.InvariantCulture)}",
        ServerVersion = facts.VersionText,
        DatabaseSize = streams.Sum(s => s.Size),
        User = facts.User,
        Profile = "physical",
    };

    private async Task<PhysicalBackupResult> RunDirectAsync(DirectBaseBackup direct, Task<StreamUploader> uploader, ServerFacts facts,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        DirectBaseBackup.Result result;
        try
        {
            result = await direct.RunAsync(uploader, facts.WalSegmentSize, _jobs, progress, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            // e.g. pg_backup_start refused with wal_level = minimal, or the server went away
            throw PgErrors.Translate(e, _settings, "taking a base backup of");
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BulwarkException(ErrorKind.Failed, $"a file of the data folder cannot be read: {e.Message}",
                "run the backup as the server's user, or set backup.physical-method to pg_basebackup", e);
        }
        return new PhysicalBackupResult(result.Streams, SourceOf(facts, result.Streams),
            new Dictionary<string, string> { ["pg_backup_start"] = facts.VersionText },
            Info(facts, result.Label, result.StopLsn, result.StopTime, result.Files, direct.SystemIdentifier));
    }

    /// <summary>The end of the WAL range of the backup's timeline, from backup_manifest ("WAL-Ranges").</summary>
    private static Lsn StopLsnOf(byte[] manifest)
    {
        try
        {
            using var document = JsonDocument.Parse(manifest);
            var ranges = document.RootElement.GetProperty("WAL-Ranges");
            Lsn? stop = null;
            foreach (var range in ranges.EnumerateArray())
            {
                var end = Lsn.Parse(range.GetProperty("End-LSN").GetString() ?? "");
                if (stop is null || end > stop.Value)
                    stop = end;
            }
            return stop ?? throw new FormatException("no WAL range");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or FormatException or InvalidOperationException or BulwarkException)
        {
            throw new BulwarkException(ErrorKind.Failed, $"the base backup's backup_manifest cannot be read: {e.Message}",
                "report it with the PostgreSQL version", e);
        }
    }

    private static BulwarkException BackupFailed(int code, string? summary)
    {
        if (summary?.Contains("no pg_hba.conf entry for replication", StringComparison.OrdinalIgnoreCase) == true ||
            summary?.Contains("must be superuser or replication role", StringComparison.OrdinalIgnoreCase) == true ||
            summary?.Contains("permission denied to start WAL sender", StringComparison.OrdinalIgnoreCase) == true)
            return new BulwarkException(ErrorKind.SourceUnavailable, $"pg_basebackup may not stream a base backup: {summary}",
                "give the user REPLICATION (ALTER ROLE … REPLICATION) and allow it in pg_hba.conf ('host replication USER …')");
        if (summary?.Contains("max_wal_senders", StringComparison.OrdinalIgnoreCase) == true)
            return new BulwarkException(ErrorKind.SourceUnavailable, $"pg_basebackup found no free WAL sender: {summary}",
                "raise max_wal_senders on the server (it needs a restart) or wait for other base backups to end");
        return PostgresBackup.ToolFailed("pg_basebackup", code, summary);
    }

    private sealed record ServerFacts(PgVersion Version, int VersionNumber, string VersionText, long WalSegmentSize,
        long Tablespaces, DateTimeOffset Now, string User);

    private async Task<ServerFacts> ReadFactsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(_settings, "connecting to", cancellationToken).ConfigureAwait(false);
        const string sql = """
            SELECT current_setting('server_version_num')::int, current_setting('server_version'),
                   (SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'),
                   (SELECT count(*) FROM pg_tablespace WHERE spcname NOT IN ('pg_default', 'pg_global')),
                   clock_timestamp(), current_user
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var number = reader.GetInt32(0);
        return new ServerFacts(PgVersion.FromNumber(number), number, reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3),
            reader.GetFieldValue<DateTimeOffset>(4), reader.GetString(5));
    }

    /// <summary>The server's clock at the end of the backup; this machine's if the server cannot be asked.</summary>
    private async Task<DateTimeOffset> ServerTimeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await PgErrors.OpenAsync(_settings, "connecting to", cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("SELECT clock_timestamp()", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            return reader.GetFieldValue<DateTimeOffset>(0);
        }
        catch (Exception e) when (e is NpgsqlException or BulwarkException)
        {
            return _time.GetUtcNow();
        }
    }
}
