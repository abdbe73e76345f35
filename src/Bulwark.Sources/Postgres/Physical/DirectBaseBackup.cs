using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Npgsql;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// A base backup read straight from the data folder, as pgBackRest reads it, when the server runs on this machine:
/// pg_backup_start, the folder's files with pg_basebackup's exclusions and pg_control last, pg_backup_stop, then the
/// WAL from start to stop out of pg_wal, which a temporary replication slot keeps there meanwhile. It spares the
/// server's WAL sender, pg_basebackup and the pipe each copying every byte (docs/pitr.md, "Numbers"). The snapshot
/// is the one a streamed base backup makes (-X fetch), with the backup_manifest written here.
/// </summary>
internal sealed partial class DirectBaseBackup : IAsyncDisposable
{
    private const string Label = "bulwark base backup";

    /// <summary>Folders whose contents the server recreates at start (basebackup.c, excludeDirContents).</summary>
    private static readonly HashSet<string> ContentsExcluded = new(StringComparer.Ordinal)
    {
        "pg_stat_tmp", "pg_replslot", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans",
    };

    /// <summary>Files never copied, in any folder (basebackup.c, excludeFiles; pg_internal.init is a prefix).</summary>
    private static readonly HashSet<string> FilesExcluded = new(StringComparer.Ordinal)
    {
        "postgresql.auto.conf.tmp", "current_logfiles.tmp", BackupLabel.FileName, "tablespace_map",
        PhysicalBackup.ManifestFileName, "postmaster.pid", "postmaster.opts",
    };

    private readonly NpgsqlConnection _connection;
    private readonly string _root;
    private readonly string _slot;
    private readonly List<PhysicalFileEntry> _files = [];
    private readonly List<BackupManifestFile.Entry> _manifest = [];
    private IProgress<long>? _progress;
    private readonly bool _pageChecksums;
    private readonly uint _pagesPerSegment;
    private Lsn _start;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _checksumFailures = new();

    /// <param name="pageChecksums">The cluster has data checksums (8 KiB pages): relation files are checked as read.</param>
    private DirectBaseBackup(NpgsqlConnection connection, string root, string slot, ulong systemIdentifier, bool pageChecksums,
        uint pagesPerSegment)
    {
        _connection = connection;
        _root = root;
        _slot = slot;
        SystemIdentifier = systemIdentifier;
        _pageChecksums = pageChecksums;
        _pagesPerSegment = pagesPerSegment;
    }

    /// <summary>The cluster's identifier, as its pg_control and the server both gave it.</summary>
    public ulong SystemIdentifier { get; }

    /// <summary>
    /// Opens the session of a direct read, or says why there cannot be one: the server must be a primary of
    /// PostgreSQL 15 or later whose data folder is on this machine (its pg_control names the same cluster) and
    /// readable here, and it must grant a temporary replication slot.
    /// </summary>
    public static async Task<(DirectBaseBackup? Backup, string? Reason)> TryBeginAsync(PgConnectionSettings settings, int versionNumber,
        CancellationToken cancellationToken)
    {
        if (versionNumber < 150000)
            return (null, "the server is older than PostgreSQL 15");
        var connection = await PgErrors.OpenAsync(settings, "connecting to", cancellationToken).ConfigureAwait(false);
        try
        {
            string? directory;
            bool standby;
            long identifier;
            int process;
            bool mayBackUp, checksums;
            long pagesPerSegment;
            await using (var command = new NpgsqlCommand("""
                SELECT (SELECT setting FROM pg_settings WHERE name = 'data_directory'), pg_is_in_recovery(),
                       (SELECT system_identifier FROM pg_control_system()), pg_backend_pid(),
                       has_function_privilege('pg_backup_start(text, boolean)', 'EXECUTE')
                           AND has_function_privilege('pg_backup_stop(boolean)', 'EXECUTE'),
                       current_setting('data_checksums') = 'on' AND current_setting('block_size') = '8192',
                       (SELECT setting::bigint FROM pg_settings WHERE name = 'segment_size')
                """, connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                directory = reader.IsDBNull(0) ? null : reader.GetString(0);
                standby = reader.GetBoolean(1);
                identifier = reader.GetInt64(2);
                process = reader.GetInt32(3);
                mayBackUp = reader.GetBoolean(4);
                checksums = reader.GetBoolean(5);
                pagesPerSegment = reader.GetInt64(6);
            }
            var (read, error) = directory is null ? (0, null) : ControlIdentifier(directory);
            string? reason = null;
            if (standby)
                reason = "the server is a standby";
            else if (directory is null)
                reason = "the user may not read data_directory (it needs pg_read_all_settings)";
            else if (!mayBackUp)
                reason = "the user may not run pg_backup_start and pg_backup_stop (GRANT EXECUTE ON FUNCTION to it, or use a superuser)";
            else if (error is not null)
                reason = $"its data folder {directory} is not readable here ({error})";
            else if (read != identifier)
                reason = $"the folder {directory} on this machine holds another cluster than the server's";
            if (reason is null)
            {
                var slot = string.Create(CultureInfo.InvariantCulture, $"bulwark_base_backup_{process}");
                try
                {
                    await using var command = new NpgsqlCommand("SELECT pg_create_physical_replication_slot($1, true, true)", connection);
                    command.Parameters.Add(new NpgsqlParameter { Value = slot });
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    return (new DirectBaseBackup(connection, directory!, slot, unchecked((ulong)identifier), checksums, (uint)pagesPerSegment), null);
                }
                catch (PostgresException e)
                {
                    reason = $"the server refused a temporary replication slot ({e.MessageText})";
                }
            }
            await connection.DisposeAsync().ConfigureAwait(false);
            return (null, reason);
        }
        catch (PostgresException e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return (null, e.MessageText);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The system identifier in the first 8 bytes of a folder's pg_control (this machine's byte order, as the server's).</summary>
    private static (long Identifier, string? Error) ControlIdentifier(string directory)
    {
        try
        {
            using var file = File.OpenRead(Path.Combine(directory, "global", "pg_control"));
            Span<byte> head = stackalloc byte[8];
            file.ReadExactly(head);
            return (BitConverter.IsLittleEndian ? BinaryPrimitives.ReadInt64LittleEndian(head) : BinaryPrimitives.ReadInt64BigEndian(head), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (0, e.Message);
        }
    }

    public sealed record Result(IReadOnlyList<StreamEntry> Streams, IReadOnlyList<PhysicalFileEntry> Files, BackupLabel Label,
        Lsn StopLsn, DateTimeOffset StopTime);

    /// <param name="readers">Files read at once, each into a batch of its own (--jobs).</param>
    public async Task<Result> RunAsync(Task<StreamUploader> uploader, long segmentSize, int readers, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        // Any failure before pg_backup_stop ends the session, and with it the backup and the slot.
        await using (var start = new NpgsqlCommand("SELECT pg_backup_start($1, true)::text", _connection))
        {
            start.Parameters.Add(new NpgsqlParameter { Value = Label });
            _start = Lsn.Parse((string)(await start.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
        }
        _progress = progress;
        var stored = await uploader.ConfigureAwait(false);
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batches = new List<StreamBatch>();
        try
        {
            for (var i = 0; i < Math.Max(1, readers); i++)
                batches.Add(stored.StartBatch(failure.Token));
            var planned = new List<Planned>();
            Plan("", planned);
            var copies = new Copy?[planned.Count];
            var next = -1;
            async Task ReadAsync(StreamBatch batch)
            {
                for (var i = Interlocked.Increment(ref next); i < planned.Count; i = Interlocked.Increment(ref next))
                    if (planned[i].Folder is null)
                        copies[i] = await CopyFileAsync(batch, planned[i].Path, failure.Token).ConfigureAwait(false);
            }
            await Workers.WhenAllAsync(batches.Select(batch => Workers.StopOthersOnFailure(ReadAsync(batch), failure)).ToList()).ConfigureAwait(false);
            if (!_checksumFailures.IsEmpty)
            {
                var failures = _checksumFailures.Order(StringComparer.Ordinal).ToList();
                throw new BulwarkException(ErrorKind.Integrity,
                    $"{failures.Count} page(s) of the cluster fail their checksum: {string.Join(", ", failures.Take(10))}{(failures.Count > 10 ? ", …" : "")}",
                    "the data folder holds corrupt pages (pg_basebackup refuses them too): find the tables with pg_amcheck, repair or restore them, then take the base backup again");
            }
            for (var i = 0; i < planned.Count; i++)
            {
                if (planned[i].Folder is { } folder)
                    _files.Add(folder);
                else if (copies[i] is { } copy)
                    Add(copy, inManifest: true);
            }
            var batch = batches[0];
            Add(await CopyFileAsync(batch, "global/pg_control", cancellationToken).ConfigureAwait(false)
                ?? throw new BulwarkException(ErrorKind.Failed, $"{_root}/global/pg_control vanished during the base backup",
                    "check the server: a running cluster always has it"), inManifest: true);

            Lsn stop;
            string labelText, map;
            await using (var command = new NpgsqlCommand("SELECT lsn::text, labelfile, spcmapfile FROM pg_backup_stop(false)", _connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                stop = Lsn.Parse(reader.GetString(0));
                labelText = reader.GetString(1);
                map = reader.IsDBNull(2) ? "" : reader.GetString(2);
            }
            var label = BackupLabel.Parse(labelText);
            Add(await AddContentAsync(batch, BackupLabel.FileName, Encoding.UTF8.GetBytes(labelText), cancellationToken).ConfigureAwait(false), inManifest: true);
            // Empty without tablespaces, and kept all the same, as pg_basebackup's tar format keeps it.
            Add(await AddContentAsync(batch, "tablespace_map", Encoding.UTF8.GetBytes(map), cancellationToken).ConfigureAwait(false), inManifest: true);
            await CopyWalAsync(batch, label, stop, segmentSize, cancellationToken).ConfigureAwait(false);
            var manifest = BackupManifestFile.Build(_manifest, label.Timeline, label.StartLsn, stop);
            Add(await AddContentAsync(batch, PhysicalBackup.ManifestFileName, manifest, cancellationToken).ConfigureAwait(false), inManifest: false);

            var streams = new Dictionary<string, StreamEntry>(StringComparer.Ordinal);
            foreach (var each in batches)
                foreach (var entry in await each.CompleteAsync().ConfigureAwait(false))
                    streams.Add(entry.Name, entry);
            var ordered = _files.Where(f => f.Type == PhysicalFileEntry.FileType).Select(f => streams[PhysicalBackupInfo.StreamPrefix + f.Path]).ToList();

            DateTimeOffset stopTime;
            await using (var command = new NpgsqlCommand("SELECT clock_timestamp()", _connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                stopTime = reader.GetFieldValue<DateTimeOffset>(0);
            }
            await using (var drop = new NpgsqlCommand("SELECT pg_drop_replication_slot($1)", _connection))
            {
                drop.Parameters.Add(new NpgsqlParameter { Value = _slot });
                await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return new Result(ordered, _files, label, stop, stopTime);

            void Add(Copy copy, bool inManifest)
            {
                _files.Add(copy.Entry);
                if (inManifest)
                    _manifest.Add(copy.Manifest);
            }
        }
        finally
        {
            foreach (var batch in batches)
                await batch.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();

    /// <summary>A folder or link entry (made as planned), or a file to read (<see cref="Folder"/> null).</summary>
    private sealed record Planned(string Path, PhysicalFileEntry? Folder);

    /// <summary>A file read into a batch: its entry, and its line of the backup_manifest.</summary>
    private sealed record Copy(PhysicalFileEntry Entry, BackupManifestFile.Entry Manifest);

    /// <summary>A folder's entries in name order, with pg_basebackup's exclusions (basebackup.c, sendDir).</summary>
    private void Plan(string folder, List<Planned> planned)
    {
        FileSystemInfo[] entries;
        try
        {
            entries = new DirectoryInfo(Path.Combine(_root, folder)).GetFileSystemInfos();
        }
        catch (DirectoryNotFoundException) when (folder.Length > 0)
        {
            return; // dropped while the backup ran: WAL replay removes it anyway
        }
        Array.Sort(entries, (a, b) => string.CompareOrdinal(a.Name, b.Name));
        var database = DatabaseFolder().IsMatch(folder);
        var names = database ? entries.Select(e => e.Name).ToHashSet(StringComparer.Ordinal) : null;
        foreach (var entry in entries)
        {
            var name = entry.Name;
            var path = folder.Length == 0 ? name : $"{folder}/{name}";
            if (name.StartsWith("pgsql_tmp", StringComparison.Ordinal) || FilesExcluded.Contains(name) ||
                name.StartsWith("pg_internal.init", StringComparison.Ordinal) || path == "global/pg_control")
                continue;
            if (database && RelationFile().Match(name) is { Success: true } relation && relation.Groups[2].Value != "_init" &&
                names!.Contains(relation.Groups[1].Value + "_init"))
                continue; // an unlogged relation: only its init fork is kept, the server resets the rest at start
            if (database && TemporaryRelationFile().IsMatch(name))
                continue;
            var link = entry.LinkTarget is not null;
            if (ContentsExcluded.Contains(name) || path == "pg_wal")
            {
                planned.Add(Folder(path, link ? (UnixFileMode)0x1C0 : entry.UnixFileMode));
                if (path == "pg_wal")
                    planned.Add(Folder("pg_wal/archive_status", link ? (UnixFileMode)0x1C0 : entry.UnixFileMode));
                continue;
            }
            if (link)
            {
                if (folder == "pg_tblspc")
                    planned.Add(new Planned(path, new PhysicalFileEntry { Path = path, Type = PhysicalFileEntry.SymlinkType, Mode = "777", LinkTarget = entry.LinkTarget }));
                continue; // pg_basebackup skips other links too
            }
            if (entry is DirectoryInfo)
            {
                planned.Add(Folder(path, entry.UnixFileMode));
                Plan(path, planned);
            }
            else
            {
                planned.Add(new Planned(path, null));
            }
        }
    }

    private static Planned Folder(string path, UnixFileMode mode) =>
        new(path, new PhysicalFileEntry { Path = path, Type = PhysicalFileEntry.DirectoryType, Mode = Octal(mode) });

    /// <returns>Null when the file is gone (dropped while the backup ran) or is not a regular file.</returns>
    private async Task<Copy?> CopyFileAsync(StreamBatch batch, string path, CancellationToken cancellationToken)
    {
        var full = Path.Combine(_root, path);
        if (!IsRegularFile(full))
            return null;
        FileStream file;
        try
        {
            file = new FileStream(full, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.ReadWrite | FileShare.Delete, BufferSize = 0,
                Options = FileOptions.SequentialScan,
            });
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        await using (file.ConfigureAwait(false))
        {
            var mode = File.GetUnixFileMode(file.SafeFileHandle);
            var modified = File.GetLastWriteTimeUtc(file.SafeFileHandle);
            Stream content = file;
            // Relation files carry page checksums (global/ and base/ hold nothing else but a few named files).
            if (_pageChecksums && (path.StartsWith("base/", StringComparison.Ordinal) || path.StartsWith("global/", StringComparison.Ordinal)) &&
                RelationFile().Match(Path.GetFileName(path)) is { Success: true } relation)
            {
                var segment = relation.Groups[3].Success ? uint.Parse(relation.Groups[3].Value[1..], CultureInfo.InvariantCulture) : 0;
                content = new PageChecksumStream(file, segment * _pagesPerSegment, _start.Value,
                    block => _checksumFailures.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{path} block {block}")));
            }
            return await AddAsync(batch, path, content, mode, modified, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<Copy> AddContentAsync(StreamBatch batch, string path, byte[] content, CancellationToken cancellationToken) =>
        await AddAsync(batch, path, new MemoryStream(content, writable: false), (UnixFileMode)0x180, DateTime.UtcNow, cancellationToken).ConfigureAwait(false);

    private async Task<Copy> AddAsync(StreamBatch batch, string path, Stream content, UnixFileMode mode, DateTime modified,
        CancellationToken cancellationToken)
    {
        var octal = Octal(mode);
        var (size, sha256) = await batch.AddAsync(PhysicalBackupInfo.StreamPrefix + path, PhysicalBackupInfo.StreamKind, content,
            new Dictionary<string, string> { ["mode"] = octal }, _progress, cancellationToken).ConfigureAwait(false);
        return new Copy(new PhysicalFileEntry { Path = path, Type = PhysicalFileEntry.FileType, Mode = octal },
            new BackupManifestFile.Entry(path, size, modified, sha256));
    }

    /// <summary>
    /// The segments from the start position to the stop, each marked archived (.done) as pg_basebackup marks them, and
    /// the timeline history files; none of pg_wal is in the manifest (pg_verifybackup reads the WAL with pg_waldump).
    /// </summary>
    private async Task CopyWalAsync(StreamBatch batch, BackupLabel label, Lsn stop, long segmentSize, CancellationToken cancellationToken)
    {
        var first = label.StartLsn.Value / (ulong)segmentSize;
        var last = (Math.Max(stop.Value, 1) - 1) / (ulong)segmentSize;
        var names = new List<string>();
        for (var segment = first; segment <= Math.Max(first, last); segment++)
            names.Add(new Lsn(segment * (ulong)segmentSize).SegmentFileName(label.Timeline, segmentSize));
        names.AddRange(Directory.EnumerateFiles(Path.Combine(_root, "pg_wal"), "*.history").Select(Path.GetFileName).OfType<string>()
            .Order(StringComparer.Ordinal));
        foreach (var name in names)
        {
            var history = name.EndsWith(".history", StringComparison.Ordinal);
            var file = new FileInfo(Path.Combine(_root, "pg_wal", name));
            if (!file.Exists)
                throw new BulwarkException(ErrorKind.Failed, $"WAL file {name} is missing from {_root}/pg_wal at the end of the base backup",
                    "check that nothing but the server removes files from pg_wal, and run the backup again");
            if (!history && file.Length != segmentSize)
                throw new BulwarkException(ErrorKind.Failed, $"WAL file {name} in {_root}/pg_wal is {file.Length} bytes long, not {segmentSize}",
                    "run the backup again; if it recurs, report it with the server's log");
            var copy = await CopyFileAsync(batch, $"pg_wal/{name}", cancellationToken).ConfigureAwait(false)
                ?? throw new BulwarkException(ErrorKind.Failed, $"WAL file {name} vanished from {_root}/pg_wal during the base backup",
                    "check that nothing but the server removes files from pg_wal, and run the backup again");
            _files.Add(copy.Entry);
            _files.Add((await AddContentAsync(batch, $"pg_wal/archive_status/{name}.done", [], cancellationToken).ConfigureAwait(false)).Entry);
        }
    }

    private static string Octal(UnixFileMode mode) => Convert.ToString((int)mode & 0xFFF, 8);

    /// <summary>False for a file that is gone, a socket or a pipe (which open() would refuse or wait on).</summary>
    private static unsafe bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
            return File.Exists(path);
        const int AtCurrentFolder = -100, NoFollow = 0x100, TypeField = 0x1;
        var buffer = stackalloc byte[256];
        if (Statx(AtCurrentFolder, path, NoFollow, TypeField, buffer) != 0)
            return Marshal.GetLastPInvokeError() is not (2 or 20); // ENOENT, ENOTDIR: gone; else open() says why
        var mode = *(ushort*)(buffer + 28); // struct statx: stx_mode
        return (mode & 0xF000) == 0x8000;
    }

    [LibraryImport("libc", SetLastError = true, EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int folder, string path, int flags, uint mask, byte* buffer);

    [GeneratedRegex(@"^base/[0-9]+$")]
    private static partial Regex DatabaseFolder();

    [GeneratedRegex(@"^([0-9]+)(_fsm|_vm|_init)?(\.[0-9]+)?$")]
    private static partial Regex RelationFile();

    [GeneratedRegex(@"^t[0-9]+_[0-9]+(_fsm|_vm|_init)?(\.[0-9]+)?$")]
    private static partial Regex TemporaryRelationFile();
}
