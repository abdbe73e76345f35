using System.Diagnostics;
using System.Globalization;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Operations.Drills;

public sealed partial class DrillOperation
{
    /// <summary>
    /// A drill of a base backup: restores it into a temporary folder, recovers it (to the end of the archive, or to
    /// --to-time) on a temporary server that listens only on a socket in a folder of its own and archives nothing, runs
    /// pg_amcheck --heapallindexed on every database, records the result and the recovery time as a proof, and
    /// removes the server and the folders whatever happened.
    /// </summary>
    private async Task<DrillReport> PhysicalDrillAsync(BackupRepository repository, Snapshot snapshot, DrillRequest request,
        OperationScope scope, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var physical = snapshot.Manifest.Physical!;
        var target = request.ToTime is { } time ? RecoveryTarget.AtTime(time) : RecoveryTarget.End;
        if (request.ToTime is { } until && physical.StopTime > until)
            throw new BulwarkException(ErrorKind.Usage,
                $"snapshot {snapshot.ShortId} ended at {physical.StopTime.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z, after --to-time",
                "drill an older base backup, or a later time");
        var started = Stopwatch.GetTimestamp();
        var suffix = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
        var directory = Path.Combine(Path.GetTempPath(), $"bulwark-drill-{suffix}");
        var sockets = Path.Combine(Path.GetTempPath(), $"bulwark-sock-{suffix}");
        scope.Details["scratch"] = directory;
        RecoveryServer? server = null;
        try
        {
            long bytes;
            TimeSpan restoreDuration;
            RecoveryOutcome outcome;
            try
            {
                bytes = await DataDirectoryWriter.WriteAsync(repository, snapshot, directory, progress, cancellationToken).ConfigureAwait(false);
                await RecoveryConfig.WriteAsync(directory, request.RestoreCommand ?? Restore.PhysicalRestoreOperation.WalFetchCommand(_context),
                    target, cancellationToken).ConfigureAwait(false);
                // Its 'wal fetch' reads the repository as this process does: no one else can reach this server.
                var access = request.RestoreCommand is null
                    ? new RecoveryAccess(repository.Encrypted ? await _context.RepositoryPassphraseAsync(cancellationToken).ConfigureAwait(false) : null,
                        CloudCredentials: true)
                    : null;
                // The drill's server must not archive a new timeline into the repository, nor listen on the network.
                server = await RecoveryServer.StartAsync(directory, sockets, null, "", RecoveryServer.NoArchiving,
                    _context.PostgresBinDirectory, _context.Time, cancellationToken, access).ConfigureAwait(false);
                outcome = await server.WaitForRecoveryAsync(snapshot.Manifest.Source.User ?? "postgres", cancellationToken).ConfigureAwait(false);
                restoreDuration = Stopwatch.GetElapsedTime(started);
            }
            catch (BulwarkException e) when (e.Kind is ErrorKind.Failed or ErrorKind.Integrity)
            {
                await RecordAsync(repository, snapshot, false, $"recovery failed: {e.Message}",
                    new Dictionary<string, string> { ["kind"] = SnapshotManifest.PhysicalKind, ["target"] = target.ToString() },
                    cancellationToken).ConfigureAwait(false);
                throw;
            }
            var checking = Stopwatch.GetTimestamp();
            var amcheck = await Amcheck.RunAsync(server, outcome.Superuser, _context.PostgresBinDirectory, cancellationToken).ConfigureAwait(false);
            var checkDuration = Stopwatch.GetElapsedTime(checking);
            var differences = amcheck.Clean ? [] : amcheck.Findings.Select(f => new FingerprintDifference("pg_amcheck", f)).ToList();
            var reached = $"recovered to {target} on timeline {outcome.Timeline}, last WAL replayed {outcome.Lsn ?? "(none)"}" +
                          (outcome.LastTransactionTime is { } last ? $", last transaction {last.ToUniversalTime():yyyy-MM-dd HH:mm:ss.fff}Z" : "");
            var report = new DrillReport
            {
                Snapshot = snapshot.ShortId,
                SnapshotId = snapshot.Id.ToString(),
                SnapshotTime = snapshot.Manifest.Time,
                Passed = amcheck.Clean,
                Physical = true,
                ScratchDatabase = "(every database of the recovered cluster)",
                ScratchServer = $"temporary server on {sockets}",
                RestoreDuration = restoreDuration,
                CompareDuration = checkDuration,
                TotalDuration = Stopwatch.GetElapsedTime(started),
                DumpBytes = bytes,
                DataBytes = bytes,
                Tables = 0,
                Rows = 0,
                Sequences = 0,
                Objects = 0,
                Differences = differences,
                Notes = [reached, amcheck.Clean ? "pg_amcheck --heapallindexed found no corruption in any database" : "pg_amcheck --heapallindexed found corruption"],
            };
            var details = new Dictionary<string, string>
            {
                ["kind"] = SnapshotManifest.PhysicalKind,
                ["target"] = target.ToString(),
                ["recoverySeconds"] = Seconds(restoreDuration),
                ["amcheckSeconds"] = Seconds(checkDuration),
                ["bytes"] = bytes.ToString(CultureInfo.InvariantCulture),
                ["timeline"] = outcome.Timeline.ToString(CultureInfo.InvariantCulture),
                ["reachedLsn"] = outcome.Lsn ?? "",
                ["amcheck"] = amcheck.Clean ? "clean" : "corruption",
            };
            if (outcome.LastTransactionTime is { } lastTime)
                details["reachedTime"] = lastTime.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
            scope.Bytes = bytes;
            scope.Details["passed"] = report.Passed ? "true" : "false";
            scope.Details["recoverySeconds"] = Seconds(restoreDuration);
            await RecordAsync(repository, snapshot, report.Passed,
                report.Passed ? $"{reached}; pg_amcheck --heapallindexed clean" : string.Join("; ", amcheck.Findings.Take(3)),
                details, cancellationToken).ConfigureAwait(false);
            return report;
        }
        finally
        {
            if (server is not null)
                await server.DisposeAsync().ConfigureAwait(false);
            TryDelete(directory);
            TryDelete(sockets);
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
                Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
