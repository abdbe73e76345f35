using System.Globalization;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Operations.Backup;

public sealed partial class BackupOperation
{
    /// <summary>
    /// A base backup ('backup --physical'): the cluster's files stream into the repository while it opens (read from
    /// the data folder, or from pg_basebackup), deduplicated against the recent base backups, and the manifest with the WAL facts is committed last.
    /// </summary>
    private async Task<BackupResult> RunPhysicalAsync(BackupRequest request, OperationScope scope, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        if (request.FilesOnly)
            throw new BulwarkException(ErrorKind.Usage, "--physical and --files-only do not go together",
                "take the base backup and the files in two runs");
        if (request.Globals == true)
            throw new BulwarkException(ErrorKind.Usage, "--globals is for logical backups: a base backup holds the roles already",
                "leave out --globals");
        var settings = _context.SourceSettings(request.Source);
        if (PasswordWarning(request) is { } warning)
        {
            scope.Details["warning"] = warning;
            Warning?.Invoke(warning);
        }
        var started = _context.Time.GetUtcNow();
        using var stopOpening = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var opening = Task.Run(() => OpenTargetAsync(null, stopOpening.Token, physical: true), CancellationToken.None);
        PhysicalBackupResult result;
        try
        {
            var backup = new PhysicalBackup(settings, _context.PostgresBinDirectory, _context.Time, _context.Settings.Backup.PhysicalMethodValue,
                request.Jobs);
            result = await backup.RunAsync(UploaderOf(opening), progress, cancellationToken).ConfigureAwait(false);
            if (backup.DirectReadUnavailable is { } why)
            {
                scope.Details["streamed"] = why;
                if (request.Jobs > 1)
                {
                    var ignored = $"--jobs {request.Jobs} did not apply: the data folder could not be read directly ({why}), and pg_basebackup streams through one connection";
                    scope.Details["warning"] = ignored;
                    Warning?.Invoke(ignored);
                }
            }
        }
        catch (Exception e)
        {
            await stopOpening.CancelAsync().ConfigureAwait(false);
            try
            {
                await (await opening.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception openError) when (openError is not OperationCanceledException || e is OperationCanceledException)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(openError);
            }
            catch (OperationCanceledException)
            {
            }
            throw;
        }
        var target = await opening.ConfigureAwait(false);
        await using var _ = target.ConfigureAwait(false);
        var statistics = target.Uploader.Statistics;
        var manifest = new SnapshotManifest
        {
            Time = started,
            EndTime = _context.Time.GetUtcNow(),
            Host = target.Repository.Options.HostName,
            User = Environment.UserName,
            Tags = _context.Settings.Backup.Tags.Concat(request.Tags).Distinct().ToList(),
            Tools = new Dictionary<string, string>(result.Tools) { ["bulwark"] = Version },
            Source = result.Source,
            Streams = result.Streams,
            Statistics = new BackupStatistics
            {
                NewBytes = statistics.NewBytes,
                ReusedBytes = statistics.ReusedBytes,
                StoredBytes = statistics.StoredBytes,
                NewChunks = statistics.NewChunks,
                ReusedChunks = statistics.ReusedChunks,
            },
            Physical = result.Info,
        };
        cancellationToken.ThrowIfCancellationRequested();
        var snapshot = await target.Repository.CommitSnapshotAsync(manifest, target.Lock, _context.Settings.Cleanup.ClockSkewValue,
            cancellationToken).ConfigureAwait(false);
        scope.Snapshot = snapshot.ShortId;
        scope.Bytes = manifest.TotalSize;
        scope.Details["kind"] = SnapshotManifest.PhysicalKind;
        scope.Details["newBytes"] = statistics.NewBytes.ToString(CultureInfo.InvariantCulture);
        scope.Details["storedBytes"] = statistics.StoredBytes.ToString(CultureInfo.InvariantCulture);
        scope.Details["startLsn"] = result.Info.StartLsn;
        scope.Details["timeline"] = result.Info.Timeline.ToString(CultureInfo.InvariantCulture);
        return new BackupResult(snapshot, target.Repository.Location, settings.Display);

        static async Task<Repository.Streams.StreamUploader> UploaderOf(Task<BackupTarget> opening) => (await opening.ConfigureAwait(false)).Uploader;
    }
}
