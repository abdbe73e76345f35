using System.Diagnostics;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Files;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Parallel;
using Bulwark.Sources.Postgres.Supabase;
using Bulwark.Sources.Supabase.Storage;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Restore;

/// <summary>Restores a snapshot into a database, or writes one of its streams to a file.</summary>
public sealed class RestoreOperation
{
    private readonly BulwarkContext _context;

    public RestoreOperation(BulwarkContext context)
    {
        _context = context;
    }

    public Task<RestoreResult> RunAsync(RestoreRequest request, IProgress<long>? progress, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("restore", async scope =>
        {
            if (request.StorageTo is not null && (request.ToFile ?? request.FilesTo) is not null)
                throw new BulwarkException(ErrorKind.Usage, "--storage-to goes with --target (the database first, then the files) or alone",
                    "run the restore of the files or of the dump separately");
            var destinations = new[] { request.Target, request.ToFile, request.FilesTo }.Count(t => t is not null);
            if (destinations != 1 && !(destinations == 0 && request.StorageTo is not null))
                throw new BulwarkException(ErrorKind.Usage, "restore needs exactly one of --target and --to-file (or --files-to for the configuration files, --storage-to for Supabase Storage files)",
                    "e.g. 'bulwark restore latest --target postgres://user@host/newdb --create', or '--files-to DIR' for the configuration files");
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await using var repositoryLock = await repository.LockAsync(LockMode.Shared, "restore", cancellationToken).ConfigureAwait(false);
            var snapshot = await RestoreSnapshot.ResolveAsync(_context, repository, request.Snapshot, physical: false, cancellationToken,
                anyNamed: request.ToFile is not null).ConfigureAwait(false);
            scope.Snapshot = snapshot.ShortId;
            // Checked before the database is touched: a missing key, a snapshot without files, or objects that would
            // be overwritten fail the restore while nothing is written yet.
            using var storage = request.StorageTo is null ? null : StorageRestore(snapshot, request.StorageTo);
            if (storage is not null)
                await storage.CheckAsync(StorageStreams.Of(snapshot.Manifest), request.Overwrite, cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            var result = request.FilesTo is not null
                ? await FilesAsync(repository, snapshot, request, progress, cancellationToken).ConfigureAwait(false)
                : request.ToFile is not null
                ? await ToFileAsync(repository, snapshot, request, progress, cancellationToken).ConfigureAwait(false)
                : request.Target is not null
                ? await ToDatabaseAsync(repository, snapshot, request, progress, cancellationToken).ConfigureAwait(false)
                : new RestoreResult { Snapshot = snapshot.ShortId, Bytes = 0, Duration = TimeSpan.Zero };
            if (storage is not null)
            {
                // After the database: its storage.buckets and storage.objects rows are in place when the files arrive.
                var uploaded = await storage.RunAsync(repository, progress, cancellationToken).ConfigureAwait(false);
                result = result with
                {
                    Storage = uploaded,
                    Bytes = request.Target is null ? uploaded.UploadedBytes : result.Bytes,
                    Duration = request.Target is null ? Stopwatch.GetElapsedTime(started) : result.Duration,
                };
                scope.Details["storageObjects"] = uploaded.Uploaded.ToString(System.Globalization.CultureInfo.InvariantCulture);
                scope.Details["storageBytes"] = uploaded.UploadedBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
            scope.Bytes = result.Bytes;
            if (result.AnalyzeDuration is { } analyzed)
                scope.Details["analyzeSeconds"] = analyzed.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
            if (result.AnalyzeProblem is { } problem)
                scope.Details["analyzeProblem"] = problem;
            return result;
        });

    /// <summary>What uploads the snapshot's Storage objects to <paramref name="endpoint"/>.</summary>
    private SupabaseStorageRestore StorageRestore(Snapshot snapshot, string endpoint)
    {
        if (StorageStreams.Of(snapshot.Manifest).Count == 0)
            throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} holds no Supabase Storage files",
                "back up with 'postgres.supabase.storage.endpoint' set, or leave out --storage-to");
        var options = _context.Settings.Postgres.Supabase.Storage.ToOptions(_context.Config, endpoint);
        return new SupabaseStorageRestore(options, Path.Combine(_context.Config.StateDirectory, "spool"));
    }

    private async Task<RestoreResult> ToDatabaseAsync(BackupRepository repository, Snapshot snapshot,
        RestoreRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (request.Jobs is < 1 or > 64)
            throw new BulwarkException(ErrorKind.Usage, $"--jobs {request.Jobs} is out of range", "use 1 to 64");
        var target = _context.ConnectionSettings(request.Target!);
        // A Supabase snapshot goes into a project as the team's part only, with the platform lists its backup used.
        var supabase = await SnapshotPlatform.ReadAsync(repository, snapshot, cancellationToken).ConfigureAwait(false);
        var restore = new PostgresRestore(new PostgresRestoreOptions
        {
            Create = request.Create,
            Clean = request.Clean,
            Schemas = request.Schemas,
            Tables = request.Tables,
            Jobs = request.Jobs,
            NoOwner = request.NoOwner,
            NoPrivileges = request.NoPrivileges,
            Globals = request.Globals,
            Analyze = request.Analyze,
            BinDirectory = _context.PostgresBinDirectory,
            SpoolDirectory = Path.Combine(_context.Config.StateDirectory, "spool"),
            Supabase = supabase?.Platform,
        });
        var result = await restore.RunAsync(repository, snapshot, target, progress, cancellationToken).ConfigureAwait(false);
        return new RestoreResult
        {
            Snapshot = snapshot.ShortId,
            Database = result.Database,
            Target = target.Display,
            Created = result.Created,
            Bytes = result.Bytes,
            Duration = result.Duration,
            AnalyzeDuration = result.AnalyzeDuration,
            AnalyzeProblem = result.AnalyzeProblem,
            Supabase = result.Supabase,
        };
    }

    /// <summary>The snapshot's files below a folder, each written atomically with its mode and time (see <see cref="FileRestore"/>).</summary>
    private static async Task<RestoreResult> FilesAsync(BackupRepository repository, Snapshot snapshot,
        RestoreRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var files = await FileRestore.RestoreAsync(repository, snapshot, request.FilesTo!, request.Files, request.Overwrite,
            progress, cancellationToken).ConfigureAwait(false);
        return new RestoreResult
        {
            Snapshot = snapshot.ShortId,
            Files = files,
            Bytes = files.Sum(f => f.Size),
            Duration = Stopwatch.GetElapsedTime(started),
        };
    }

    private async Task<RestoreResult> ToFileAsync(BackupRepository repository, Snapshot snapshot,
        RestoreRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        if (request.Stream is null && ParallelSnapshot.IsParallel(snapshot.Manifest))
            return await ParallelToFileAsync(repository, snapshot, request, progress, cancellationToken).ConfigureAwait(false);
        var name = request.Stream ?? PostgresBackup.DumpStreamName;
        var stream = snapshot.Manifest.FindStream(name)
                     ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} has no stream '{name}'",
                         $"its streams are: {string.Join(", ", snapshot.Manifest.Streams.Select(s => s.Name))}");
        var path = PrepareFile(request.ToFile!);
        // CopyStreamAsync checks length and SHA-256 against the manifest before the rename.
        await AtomicFile.WriteAsync(path,
            (file, ct) => repository.CopyStreamAsync(stream, file, progress, cancellationToken: ct),
            new AtomicWriteOptions { Overwrite = false }, cancellationToken).ConfigureAwait(false);
        return new RestoreResult
        {
            Snapshot = snapshot.ShortId,
            File = path,
            Sha256 = stream.Sha256,
            Bytes = stream.Size,
            Duration = Stopwatch.GetElapsedTime(started),
        };
    }

    private string PrepareFile(string file)
    {
        var path = Path.GetFullPath(file);
        if (File.Exists(path) || Directory.Exists(path))
            throw new BulwarkException(ErrorKind.Refused, $"{path} already exists", "choose a path that does not exist");
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
            throw new BulwarkException(ErrorKind.Usage, $"folder {folder} does not exist", "create it first");
        StateDebris.SweepPartials(folder, _context.Time);
        return path;
    }

    /// <summary>A parallel snapshot as the one custom archive pg_dump would have written (see <see cref="ParallelArchiveWriter"/>).</summary>
    private async Task<RestoreResult> ParallelToFileAsync(BackupRepository repository, Snapshot snapshot,
        RestoreRequest request, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var path = PrepareFile(request.ToFile!);
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        long bytes = 0;
        await AtomicFile.WriteAsync(path, async (file, ct) =>
        {
            await using var hashing = new HashingStream(file, hash, written => bytes += written);
            await ParallelArchiveWriter.WriteAsync(repository, snapshot.Manifest, hashing, progress, ct).ConfigureAwait(false);
        }, new AtomicWriteOptions { Overwrite = false }, cancellationToken).ConfigureAwait(false);
        return new RestoreResult
        {
            Snapshot = snapshot.ShortId,
            File = path,
            Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()),
            Bytes = bytes,
            Duration = Stopwatch.GetElapsedTime(started),
        };
    }

    /// <summary>Passes writes on, hashing them.</summary>
    private sealed class HashingStream(Stream inner, System.Security.Cryptography.IncrementalHash hash, Action<int> written) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            hash.AppendData(buffer, offset, count);
            written(count);
            inner.Write(buffer, offset, count);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            hash.AppendData(buffer.Span);
            written(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}
