using System.Diagnostics;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Operations.Restore;

/// <summary>
/// Restores a base backup into a data folder ready to start ('bulwark restore --to-dir'): the files, recovery.signal,
/// a restore_command that fetches WAL from this repository with this program, the recovery target and
/// recovery_target_action = promote. With --start, a server is started on it and left running once recovery ended; that
/// server archives nothing (it is a copy to look at), while a folder restored without --start keeps the copied
/// archive_command, so that a new production server started on it archives its timeline into the repository.
/// </summary>
public sealed class PhysicalRestoreOperation
{
    private readonly BulwarkContext _context;

    public PhysicalRestoreOperation(BulwarkContext context)
    {
        _context = context;
    }

    public Task<PhysicalRestoreResult> RunAsync(PhysicalRestoreRequest request, IProgress<long>? progress, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("restore", async scope =>
        {
            if (request.Port is < 1 or > 65535)
                throw new BulwarkException(ErrorKind.Usage, $"--port {request.Port} is out of range", "use 1 to 65535");
            var directory = Path.GetFullPath(request.Directory);
            var timeline = RecoveryConfig.Timeline(request.Timeline ?? "latest");
            DataDirectoryWriter.CheckTarget(directory);
            var restoreCommand = request.RestoreCommand ?? WalFetchCommand(_context);
            Snapshot snapshot;
            long bytes;
            var encrypted = false;
            var started = Stopwatch.GetTimestamp();
            await using (var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false))
            await using (var repositoryLock = await repository.LockAsync(LockMode.Shared, "restore", cancellationToken).ConfigureAwait(false))
            {
                encrypted = repository.Encrypted;
                snapshot = await ChooseAsync(repository, request, cancellationToken).ConfigureAwait(false);
                scope.Snapshot = snapshot.ShortId;
                try
                {
                    bytes = await DataDirectoryWriter.WriteAsync(repository, snapshot, directory, progress, cancellationToken).ConfigureAwait(false);
                    await RecoveryConfig.WriteAsync(directory, restoreCommand, request.Target, cancellationToken, timeline).ConfigureAwait(false);
                }
                catch
                {
                    // Nothing half-written: a folder that cannot start is removed (it was new or empty).
                    TryEmpty(directory);
                    throw;
                }
            }
            var physical = snapshot.Manifest.Physical!;
            var result = new PhysicalRestoreResult
            {
                Snapshot = snapshot.ShortId,
                Directory = directory,
                Target = request.Target.ToString(),
                RestoreCommand = restoreCommand,
                RecoveryTimeline = timeline,
                Bytes = bytes,
                Files = snapshot.Manifest.Streams.Count,
                WriteDuration = Stopwatch.GetElapsedTime(started),
                StartLsn = physical.StartLsn,
                Timeline = physical.Timeline,
            };
            scope.Bytes = bytes;
            scope.Details["toDir"] = directory;
            scope.Details["target"] = result.Target;
            if (!request.Start)
                return result;
            // The copy's 'wal fetch' gets the passphrase for its recovery only; the cloud credentials of this process
            // are not passed on to a server that listens on TCP and outlives it (its user needs credentials of its own).
            var access = request.RestoreCommand is null && encrypted
                ? new RecoveryAccess(await _context.RepositoryPassphraseAsync(cancellationToken).ConfigureAwait(false), CloudCredentials: false)
                : null;
            var server = await StartAsync(snapshot, directory, request.Port, access, cancellationToken).ConfigureAwait(false);
            scope.Details["reachedLsn"] = server.ReachedLsn ?? "";
            return result with { Server = server };
        });

    /// <summary>
    /// The named snapshot (<see cref="RestoreSnapshot"/>); else the newest base backup, or with a target time the newest
    /// that ended before it (recovery cannot stop before the end of its base backup).
    /// </summary>
    private async Task<Snapshot> ChooseAsync(BackupRepository repository, PhysicalRestoreRequest request, CancellationToken cancellationToken)
    {
        if (request.Target.Time is not { } target || request.Snapshot is { } named && !RestoreSnapshot.IsLatest(named))
        {
            var chosen = await RestoreSnapshot.ResolveAsync(_context, repository, request.Snapshot ?? "latest", physical: true, cancellationToken)
                .ConfigureAwait(false);
            if (request.Target.Time is { } time && chosen.Manifest.Physical!.StopTime > time)
                throw new BulwarkException(ErrorKind.Usage,
                    $"snapshot {chosen.ShortId} ended at {chosen.Manifest.Physical.StopTime:yyyy-MM-dd HH:mm:ss}Z, after --to-time {time.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z",
                    "name an older base backup, or leave out the snapshot to have the newest one before that time chosen");
            return chosen;
        }
        var physical = await RestoreSnapshot.CandidatesAsync(_context, repository, physical: true, cancellationToken).ConfigureAwait(false);
        if (physical.Count == 0)
            throw RestoreSnapshot.None(physical: true);
        return physical.LastOrDefault(s => s.Manifest.Physical!.StopTime <= target)
               ?? throw new BulwarkException(ErrorKind.Usage,
                   $"no base backup ended before {target.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z (the oldest ended at {physical[0].Manifest.Physical!.StopTime.ToUniversalTime():yyyy-MM-dd HH:mm:ss}Z)",
                   "choose a later --to-time");
    }

    private async Task<RecoveredServer> StartAsync(Snapshot snapshot, string directory, int? port, RecoveryAccess? access,
        CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var sockets = Path.Combine(Path.GetTempPath(), $"bulwark-{Guid.NewGuid():N}"[..20]);
        // A copy started to look at archives nothing: promoted, it would archive a timeline of its own into the
        // repository, and a later restore to the end would follow that timeline instead of the production server's.
        var server = await RecoveryServer.StartAsync(directory, sockets, port, "127.0.0.1", RecoveryServer.NoArchiving,
            _context.PostgresBinDirectory, _context.Time, cancellationToken, access).ConfigureAwait(false);
        await using var _ = server.ConfigureAwait(false);
        var user = snapshot.Manifest.Source.User ?? "postgres";
        var outcome = await server.WaitForRecoveryAsync(user, cancellationToken).ConfigureAwait(false);
        await server.RestoreAuthenticationAsync(cancellationToken).ConfigureAwait(false);
        server.Detach();
        var portText = server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new RecoveredServer
        {
            Port = server.Port,
            Host = "127.0.0.1",
            SocketDirectory = sockets,
            ReachedLsn = outcome.Lsn,
            ReachedTime = outcome.LastTransactionTime,
            Timeline = outcome.Timeline,
            RecoveryDuration = Stopwatch.GetElapsedTime(started),
            Connect = $"psql -h 127.0.0.1 -p {portText} -U {user} postgres",
            Stop = server.RunAs is null ? $"pg_ctl -D {directory} stop" : $"runuser -u {server.RunAs} -- pg_ctl -D {directory} stop",
            Archiving = false,
        };
    }

    /// <summary>
    /// 'bulwark wal fetch %f %p' with this program (its absolute path; under 'dotnet', the assembly too) and this
    /// configuration file, each word quoted for the shell; a failure other than "not archived" exits 126.
    /// </summary>
    internal static string WalFetchCommand(BulwarkContext context)
    {
        var process = Environment.ProcessPath
                      ?? throw new BulwarkException(ErrorKind.Internal, "the path of this program is unknown", "pass the restore command yourself");
        var words = new List<string> { process };
        if (Path.GetFileNameWithoutExtension(process) == "dotnet" && Environment.GetCommandLineArgs() is [var assembly, ..] &&
            assembly.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
            words.Add(Path.GetFullPath(assembly));
        words.AddRange(["wal", "fetch", "%f", "%p"]);
        if (context.Config.FilePath is { } config)
            words.AddRange(["--config", Path.GetFullPath(config)]);
        if (!string.IsNullOrWhiteSpace(context.RepositoryOverride))
        {
            var location = context.RepositoryLocation;
            if (context.Backends.Redact(location) != location)
                throw new BulwarkException(ErrorKind.Usage,
                    "--repo holds a secret, which the restore command in postgresql.auto.conf would show to anyone who can read it",
                    "put the repository and its credentials in the configuration file or the environment, and pass --config");
            words.AddRange(["--repo", location]);
        }
        return RecoveryConfig.FetchCommand(words);
    }

    private static void TryEmpty(string directory)
    {
        try
        {
            if (!Directory.Exists(directory))
                return;
            foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
            {
                if (Directory.Exists(entry) && !File.GetAttributes(entry).HasFlag(FileAttributes.ReparsePoint))
                    Directory.Delete(entry, recursive: true);
                else
                    File.Delete(entry);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
