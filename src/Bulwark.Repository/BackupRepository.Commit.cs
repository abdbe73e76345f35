using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository;

// The commit: a manifest is written last, and its existence is the snapshot. A commit beside a cleanup first makes
// sure that the cleanup deleted none of its chunks ("The commit-time check" in docs/garbage-collection.md).
public sealed partial class BackupRepository
{
    /// <summary>How long a commit waits for a cleanup running beside it.</summary>
    private static readonly TimeSpan CommitWaitLimit = TimeSpan.FromMinutes(30);

    private static readonly TimeSpan CleanupPollInterval = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Commits the snapshot of an operation that holds <paramref name="ownLock"/> (a backup, a copy): waits while a
    /// cleanup runs, and when one swept since the lock was taken, checks that every chunk the manifest references still
    /// exists; a missing one fails the commit, so no snapshot ever points at missing data. After this returns, the
    /// snapshot exists.
    /// </summary>
    /// <param name="clockSkew">How far the clocks of hosts and storage may be apart (cleanup's setting).</param>
    public async Task<Snapshot> CommitSnapshotAsync(SnapshotManifest manifest, RepositoryLock ownLock, TimeSpan clockSkew,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        await CheckChunksAfterCleanupAsync(ownLock, ReferencedChunks([new Snapshot(default, manifest)]), clockSkew,
            CommitWaitLimit, cancellationToken).ConfigureAwait(false);
        return await CommitSnapshotAsync(manifest, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes the manifest without the check above: for what knows that no cleanup runs beside it. After this returns,
    /// the snapshot exists.
    /// </summary>
    internal async Task<Snapshot> CommitSnapshotAsync(SnapshotManifest manifest, CancellationToken cancellationToken)
    {
        // Readers refuse what these checks refuse: committing it would leave a snapshot that cannot be restored.
        if (ManifestValidation.Problem(manifest, Config.Chunker.MaxSize) is { } problem)
            throw new BulwarkException(ErrorKind.Failed, $"refusing to commit an invalid manifest to {Location}: {problem}",
                "nothing was committed; report this as a bug");
        var json = RepositoryJson.Serialize(manifest);
        if (json.Length > ObjectLimits.Manifest)
            throw new BulwarkException(ErrorKind.Failed,
                $"the manifest would be {json.Length} bytes, more than the {ObjectLimits.Describe(ObjectLimits.Manifest)} a manifest may have",
                "nothing was committed; back up fewer or smaller streams per snapshot");
        var id = Codec.ComputeId(json);
        await SyncChunkFoldersAsync(cancellationToken).ConfigureAwait(false);
        await Backend.PutAsync(RepositoryLayout.SnapshotName(id), Codec.Pack(json), cancellationToken).ConfigureAwait(false);
        _manifests[id] = manifest;
        return new Snapshot(id, manifest);
    }

    /// <summary>
    /// The commit-time check: waits (at most <paramref name="maxWait"/>) while a cleanup runs, and when one swept since
    /// <paramref name="ownLock"/> was taken, checks that every chunk in <paramref name="chunks"/> still exists. This
    /// closes the one window the collector leaves open (a chunk written again in the instant between a cleanup's second
    /// look and its delete). A cleanup that starts after this check sees the lock.
    /// </summary>
    internal async Task CheckChunksAfterCleanupAsync(RepositoryLock ownLock, IReadOnlyCollection<ObjectId> chunks,
        TimeSpan clockSkew, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ownLock);
        ArgumentNullException.ThrowIfNull(chunks);
        // A cleanup that was already sweeping when the lock was taken left its event before it.
        var swept = ownLock.CleanupRunningAtStart;
        swept |= await WaitForCleanupAsync(ownLock, maxWait, cancellationToken).ConfigureAwait(false);
        swept = swept || await SweptSinceAsync(ownLock.Info.Created - clockSkew, cancellationToken).ConfigureAwait(false);
        if (!swept)
            return;
        var present = new HashSet<ObjectId>();
        await foreach (var (id, _) in ListChunksAsync(cancellationToken).ConfigureAwait(false))
            present.Add(id);
        var missing = chunks.Count(c => !present.Contains(c));
        if (missing > 0)
            throw new BulwarkException(ErrorKind.Failed,
                $"a cleanup that ran during this {ownLock.Info.Operation} removed {missing} chunk(s) it needs; no snapshot was written",
                $"run the {ownLock.Info.Operation} again");
    }

    /// <summary>Waits while a cleanup holds the prune lock; whether one did.</summary>
    private async Task<bool> WaitForCleanupAsync(RepositoryLock ownLock, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var waitUntil = Time.GetUtcNow() + maxWait;
        var waited = false;
        while (true)
        {
            var running = (await RepositoryLock.ListAsync(this, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(l => !l.Stale && l.Info.Mode == LockMode.Prune);
            if (running is null)
                return waited;
            waited = true;
            if (Time.GetUtcNow() > waitUntil)
                throw new BulwarkException(ErrorKind.RepositoryLocked,
                    $"a cleanup has run for longer than {maxWait.TotalMinutes:0} minutes beside this {ownLock.Info.Operation} ({running.Info.Describe()}); the {ownLock.Info.Operation} was not committed",
                    $"run the {ownLock.Info.Operation} again when the cleanup has finished");
            await Task.Delay(CleanupPollInterval, Time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a cleanup left its sweep event at or after <paramref name="since"/>.</summary>
    private async Task<bool> SweptSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        await foreach (var info in Backend.ListAsync(RepositoryLayout.EventFolder(RepositoryLayout.SweepEvents), cancellationToken)
                           .ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseRecordTime(info.Name, out var time) && time >= since)
                return true;
        }
        return false;
    }
}
