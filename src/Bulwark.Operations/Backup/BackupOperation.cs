using System.Globalization;
using System.Reflection;
using Bulwark.Operations.Logging;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Fingerprints;
using Npgsql;

using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Operations.Backup;

/// <summary>
/// One backup: takes a shared lock, dumps the database into the repository, and commits the manifest last. Any
/// failure before the commit leaves no snapshot (only unreferenced chunks, which cleanup removes).
/// </summary>
public sealed partial class BackupOperation
{
    /// <summary>How many recent snapshots of the same database new chunks are deduplicated against.</summary>
    public const int ParentCount = 3;

    private readonly BulwarkContext _context;

    public BackupOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>
    /// Runs inside the backup's exported snapshot after Bulwark's own reads (tests use it to compute fingerprints
    /// with SQL in the same snapshot).
    /// </summary>
    internal Func<NpgsqlConnection, CancellationToken, Task>? InsideSnapshot { get; init; }

    /// <summary>Told of a problem that does not stop the backup (a password in the connection string); also logged.</summary>
    public event Action<string>? Warning;

    /// <exception cref="CopyAfterBackupFailedException">The backup was committed but 'copy-to' failed.</exception>
    public async Task<BackupResult> RunAsync(BackupRequest request, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        var result = await _context.RunLoggedAsync("backup", scope => RunCoreAsync(request, scope, progress, cancellationToken))
            .ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(_context.Settings.CopyTo))
            return result;
        // After the backup's own record and lock: the snapshot is safe whatever happens to the copy.
        var destination = _context.Config.ResolveLocation(_context.Settings.CopyTo);
        try
        {
            var copy = await new Copy.CopyOperation(_context).RunAsync(
                new Copy.CopyRequest { To = destination, Snapshots = [result.Snapshot.Id.ToString()] }, null,
                cancellationToken).ConfigureAwait(false);
            return result with { Copy = copy };
        }
        catch (BulwarkException e) when (e.Kind != ErrorKind.Cancelled)
        {
            throw new CopyAfterBackupFailedException(result, _context.Backends.Redact(destination), e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new CopyAfterBackupFailedException(result, _context.Backends.Redact(destination),
                new BulwarkException(ErrorKind.Failed, $"unexpected {e.GetType().Name}: {e.Message}", null, e));
        }
    }

    /// <summary>A password written into the connection string is visible to others: say where it belongs.</summary>
    private string? PasswordWarning(BackupRequest request)
    {
        const string advice = "set PGPASSWORD, or put it in ~/.pgpass (mode 0600), and leave it out of the connection string";
        if (request.Source is not null)
            return PgConnectionSettings.ContainsPassword(request.Source)
                ? $"the password in --source can be read by other users of this machine in the process list (ps); {advice}"
                : null;
        return PgConnectionSettings.ContainsPassword(_context.Settings.Postgres.Url)
            ? $"'postgres.url' holds a password, which anyone who can read the configuration sees; {advice}"
            : null;
    }

    private async Task<BackupResult> RunCoreAsync(BackupRequest request, OperationScope scope, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        if (request.Jobs is < 1 or > 64)
            throw new BulwarkException(ErrorKind.Usage, $"--jobs {request.Jobs} is out of range", "use 1 to 64");
        if (request.Physical)
        {
            if (request.Jobs > 1 && _context.Settings.Backup.PhysicalMethodValue == BaseBackupMethod.PgBaseBackup)
                throw new BulwarkException(ErrorKind.Usage, "--physical takes no --jobs with backup.physical-method pg_basebackup: it streams a base backup through one connection",
                    "leave out --jobs, or let Bulwark read the data folder directly (physical-method auto or direct)");
            return await RunPhysicalAsync(request, scope, progress, cancellationToken).ConfigureAwait(false);
        }
        // Files and modules are resolved first: a missing file fails the backup before the database is dumped.
        var artifacts = ArtifactBackup.Plan(_context);
        var settings = artifacts.IsFilesOnly(request) ? null : _context.SourceSettings(request.Source);
        if (settings is not null && PasswordWarning(request) is { } warning)
        {
            scope.Details["warning"] = warning;
            Warning?.Invoke(warning);
        }
        var started = _context.Time.GetUtcNow();
        // Supabase Storage files join the database's snapshot (see StorageBackup for why they match its rows).
        await using var storage = settings is null ? null : StorageBackup.Plan(_context, cancellationToken);

        PostgresBackupResult? result = null;
        // Fingerprints are computed from the dump as it streams in (see BackupFingerprinting).
        var fingerprinting = settings is not null && _context.Settings.Backup.Fingerprints ? new BackupFingerprinting() : null;
        // The repository opens while the database side starts (see PostgresBackup.RunAsync), on its own thread: reading
        // its settings and deriving keys must not hold back the connection, which is what the dump waits for.
        using var stopOpening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopDump = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, storage?.Failed ?? CancellationToken.None);
        var opening = Task.Run(() => OpenTargetAsync(settings?.Database, stopOpening.Token), CancellationToken.None);
        BackupTarget target;
        try
        {
            if (settings is not null)
                result = await DumpAsync(settings, request, fingerprinting, storage, opening, progress, stopDump.Token).ConfigureAwait(false);
            target = await opening.ConfigureAwait(false);
        }
        catch
        {
            await stopOpening.CancelAsync().ConfigureAwait(false);
            if (storage is not null)
                await storage.DisposeAsync().ConfigureAwait(false); // its downloads stop before the repository closes
            try
            {
                await (await opening.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception openError) when (openError is not OperationCanceledException)
            {
                // The repository's own failure (missing, locked, wrong passphrase) is what a backup of anything says.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(openError);
            }
            catch (OperationCanceledException)
            {
                // Stopped above because the database side failed (or was stopped: its error, below, says why).
            }
            if (stopDump.IsCancellationRequested && !cancellationToken.IsCancellationRequested && storage?.Failure is { } storageFailure)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(storageFailure); // why the dump was stopped
            throw;
        }
        await using var _ = target.ConfigureAwait(false);
        var storageStreams = storage is null ? [] : await storage.CompleteAsync().ConfigureAwait(false);
        var (repository, repositoryLock, uploader) = (target.Repository, target.Lock, target.Uploader);
        var (fileStreams, modules, rulesets) = await artifacts.RunAsync(repository, uploader, progress, cancellationToken).ConfigureAwait(false);
        var source = (result?.Source ?? ArtifactBackup.FilesSource) with { Name = _context.SourceNameForManifest };

        var tools = new Dictionary<string, string>(result?.Tools ?? new Dictionary<string, string>()) { ["bulwark"] = Version };
        var statistics = uploader.Statistics;
        var manifest = new SnapshotManifest
        {
            Time = started,
            EndTime = _context.Time.GetUtcNow(),
            Host = repository.Options.HostName,
            User = Environment.UserName,
            Tags = _context.Settings.Backup.Tags.Concat(request.Tags).Distinct().ToList(),
            Tools = tools,
            Source = source,
            Streams = [.. result?.Streams ?? [], .. fileStreams, .. storageStreams],
            Statistics = new BackupStatistics
            {
                NewBytes = statistics.NewBytes,
                ReusedBytes = statistics.ReusedBytes,
                StoredBytes = statistics.StoredBytes,
                NewChunks = statistics.NewChunks,
                ReusedChunks = statistics.ReusedChunks,
            },
            Fingerprints = fingerprinting?.Result,
            Modules = modules,
            Rulesets = rulesets,
        };
        cancellationToken.ThrowIfCancellationRequested();
        var snapshot = await repository.CommitSnapshotAsync(manifest, repositoryLock, _context.Settings.Cleanup.ClockSkewValue,
            cancellationToken).ConfigureAwait(false);
        scope.Snapshot = snapshot.ShortId;
        scope.Bytes = manifest.TotalSize;
        scope.Details["newBytes"] = statistics.NewBytes.ToString(CultureInfo.InvariantCulture);
        scope.Details["storedBytes"] = statistics.StoredBytes.ToString(CultureInfo.InvariantCulture);
        scope.Details["database"] = source.Database ?? "";
        if (fileStreams.Count > 0)
            scope.Details["files"] = fileStreams.Count.ToString(CultureInfo.InvariantCulture);
        if (storage is not null)
            scope.Details["storageObjects"] = storageStreams.Count.ToString(CultureInfo.InvariantCulture);
        if (manifest.Fingerprints?.Error is { } fingerprintError)
            scope.Details["fingerprintError"] = fingerprintError;
        return new BackupResult(snapshot, repository.Location, settings?.Display ?? "files only");
    }

    private Task<PostgresBackupResult> DumpAsync(PgConnectionSettings settings, BackupRequest request, BackupFingerprinting? fingerprinting,
        StorageBackup? storage, Task<BackupTarget> opening, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var postgres = _context.Settings.Postgres;
        var backup = new PostgresBackup(settings, new PostgresBackupOptions
        {
            Globals = request.Globals ?? postgres.Globals,
            Profile = postgres.ProfileValue,
            Platform = postgres.Supabase.Platform.ToPlatform(),
            Schemas = postgres.Schemas,
            ExcludeSchemas = postgres.ExcludeSchemas,
            ExcludeTableData = postgres.ExcludeTableData,
            BinDirectory = _context.PostgresBinDirectory,
            DumpObservers = fingerprinting is null ? null : fingerprinting.CreateObservers,
            Jobs = request.Jobs,
            TableObservers = fingerprinting is null ? null : fingerprinting.CreateTableObservers,
            InsideSnapshot = fingerprinting is null && InsideSnapshot is null && storage is null ? null : async (connection, ct) =>
            {
                storage?.Start(UploaderOf(opening), progress);
                if (fingerprinting is not null)
                    await fingerprinting.InsideSnapshotAsync(connection, ct).ConfigureAwait(false);
                if (InsideSnapshot is not null)
                    await InsideSnapshot(connection, ct).ConfigureAwait(false);
            },
        });
        return backup.RunAsync(UploaderOf(opening), progress, cancellationToken);

        static async Task<StreamUploader> UploaderOf(Task<BackupTarget> opening) => (await opening.ConfigureAwait(false)).Uploader;
    }

    /// <summary>Opens and share-locks the repository, and prepares deduplication against recent snapshots of <paramref name="database"/>.</summary>
    private async Task<BackupTarget> OpenTargetAsync(string? database, CancellationToken cancellationToken, bool physical = false)
    {
        var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // The lock comes before reading manifests: cleanup then either sees this backup or this backup sees its result.
            // A named source's backups run one at a time; those of different sources side by side.
            var sourceName = _context.SourceNameForManifest;
            var repositoryLock = await repository.LockAsync(LockMode.Shared, sourceName is null ? "backup" : $"backup of {sourceName}",
                cancellationToken, sourceName is null ? null : $"backup:{sourceName}").ConfigureAwait(false);
            try
            {
                // A parent whose manifest cannot be read is left out (and named): its chunks are written again.
                var parents = (await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots
                    .Where(s => s.Manifest.Source.Database == database && s.Manifest.Source.Name == sourceName && s.Manifest.Physical is not null == physical)
                    .TakeLast(ParentCount);
                var uploader = new StreamUploader(repository, BackupRepository.ReferencedChunks(parents),
                    _context.Settings.Backup.Parallelism);
                return new BackupTarget(repository, repositoryLock, uploader);
            }
            catch
            {
                await repositoryLock.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        catch
        {
            await repository.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private sealed record BackupTarget(BackupRepository Repository, RepositoryLock Lock, StreamUploader Uploader) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Lock.DisposeAsync().ConfigureAwait(false);
            await Repository.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>This build's version, as recorded in manifests.</summary>
    public static string Version { get; } =
        typeof(BackupOperation).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? "0.0.0";
}
