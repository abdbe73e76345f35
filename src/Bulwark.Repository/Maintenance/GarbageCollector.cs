using System.Collections.Concurrent;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;
using Bulwark.Storage.Local;

namespace Bulwark.Repository.Maintenance;

/// <summary>
/// Removes forgotten snapshots and then every chunk nothing needs, safely beside running backups and restores and
/// after a crash at any point. The steps of <see cref="RunAsync"/> are those of docs/garbage-collection.md, which
/// argues why each is safe; their order is what makes them so. The backup's half of the protocol, the commit-time
/// check, is <see cref="BackupRepository.CommitSnapshotAsync(SnapshotManifest, RepositoryLock, TimeSpan, CancellationToken)"/>.
/// </summary>
public static class GarbageCollector
{
    private const int Parallelism = 8;

    /// <summary>
    /// Removes <paramref name="forget"/>, then collects: steps 0 to 5 of docs/garbage-collection.md, in that order,
    /// which the safety argument there depends on. While a manifest does not read, it stops at step 3 and deletes
    /// no chunk (<see cref="GarbageCollectionReport.SweepSkipped"/>).
    /// </summary>
    /// <param name="repository">The repository; <paramref name="ownLock"/> must be a prune lock on it (a shared lock
    /// for a dry run).</param>
    /// <param name="forget">Snapshots to remove.</param>
    /// <param name="progress">Bytes freed, as they are.</param>
    public static async Task<GarbageCollectionReport> RunAsync(BackupRepository repository, RepositoryLock ownLock,
        IReadOnlyCollection<Snapshot> forget, GarbageCollectionOptions options, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(ownLock);
        ArgumentNullException.ThrowIfNull(forget);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.DryRun && ownLock.Info.Mode != LockMode.Prune)
            throw new ArgumentException("garbage collection needs the prune lock", nameof(ownLock));
        var dry = options.DryRun;

        var temporaryFiles = dry ? 0 : RemoveAbandonedTemporaryFiles(repository, options);
        if (!dry)
            await LeaveSweepTraceAsync(repository, ownLock, cancellationToken).ConfigureAwait(false);
        var removal = await RemoveForgottenAsync(repository, forget, dry, cancellationToken).ConfigureAwait(false);
        var locks = await ReadLocksAsync(repository, ownLock, cancellationToken).ConfigureAwait(false);
        var index = await ReadLiveSnapshotsAsync(repository, removal, dry, cancellationToken).ConfigureAwait(false);
        if (index.Unreadable.Count > 0)
            return SkippedReport(dry, removal, locks, index.Unreadable, temporaryFiles);
        var marked = BackupRepository.ReferencedChunks(index.Snapshots);
        var records = await RetainForgottenChunksAsync(repository, ownLock, removal, locks, marked, options,
            cancellationToken).ConfigureAwait(false);
        var candidates = await SelectCandidatesAsync(repository, marked, records.Chunks, locks, options,
            cancellationToken).ConfigureAwait(false);
        var sweep = dry
            ? new SweepOutcome(candidates.Objects.Count, 0, candidates.Objects.Sum(c => c.Size))
            : await SweepAsync(repository, ownLock, candidates.Objects, progress, cancellationToken).ConfigureAwait(false);
        if (!dry)
            await DropRecordsAsync(repository, records.ToDrop, cancellationToken).ConfigureAwait(false);

        return new GarbageCollectionReport
        {
            DryRun = dry,
            SnapshotsRemoved = removal.Snapshots.Count,
            ChunksTotal = candidates.Total,
            ChunksReferenced = marked.Count,
            ChunksDeleted = sweep.Deleted,
            ChunksKeptYoung = candidates.KeptYoung,
            ChunksKeptForRunningOperations = candidates.KeptRunning + sweep.Rewritten,
            ChunksKeptForForgottenSnapshots = candidates.KeptForgotten,
            BytesFreed = removal.Bytes + sweep.Freed,
            ForgottenRecordsKept = records.Kept,
            ForgottenRecordsRemoved = dry ? 0 : records.ToDrop.Count,
            RunningOperations = locks.Live.Select(l => l.Describe()).ToList(),
            StaleLocksIgnored = locks.Stale,
            TemporaryFilesRemoved = temporaryFiles,
        };
    }

    /// <summary>Temporary files that crashed local writers left; never referenced by anything.</summary>
    private static int RemoveAbandonedTemporaryFiles(BackupRepository repository, GarbageCollectionOptions options)
    {
        if (repository.Capabilities.LocalFolder is not { } folder)
            return 0;
        var age = options.GracePeriod > GarbageCollectionOptions.TemporaryFileAge
            ? options.GracePeriod
            : GarbageCollectionOptions.TemporaryFileAge;
        return new LocalBackend(folder).RemoveAbandonedTemporaryFiles(age, repository.Time.GetUtcNow());
    }

    /// <summary>Step 0: a trace that a sweep ran, so that a backup that overlapped it checks its chunks before committing.</summary>
    private static Task LeaveSweepTraceAsync(BackupRepository repository, RepositoryLock ownLock,
        CancellationToken cancellationToken) =>
        repository.AppendEventAsync(RepositoryLayout.SweepEvents, new SweepRecord
        {
            Time = repository.Time.GetUtcNow(),
            Host = repository.Options.HostName,
            Lock = ownLock.Info.Id,
        }, cancellationToken);

    /// <summary>
    /// Step 1: records the forgotten snapshots and the chunks only they reference, then deletes their manifests. A
    /// manifest that does not read is among the others, whose chunks are unknown: the record may then hold more chunks
    /// than only the forgotten snapshots need, which only keeps more.
    /// </summary>
    private static async Task<Removal> RemoveForgottenAsync(BackupRepository repository, IReadOnlyCollection<Snapshot> forget,
        bool dry, CancellationToken cancellationToken)
    {
        var snapshots = forget.ToDictionary(s => s.Id);
        if (snapshots.Count == 0)
            return new Removal(snapshots, null, [], 0);
        var others = (await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots
            .Where(s => !snapshots.ContainsKey(s.Id));
        var onlyTheirs = BackupRepository.ReferencedChunks(snapshots.Values);
        onlyTheirs.ExceptWith(BackupRepository.ReferencedChunks(others));
        var record = dry ? null : await WriteRecordAsync(repository, snapshots.Keys, onlyTheirs, cancellationToken).ConfigureAwait(false);
        long bytes = 0;
        foreach (var id in snapshots.Keys)
        {
            bytes += (await repository.Backend.StatAsync(RepositoryLayout.SnapshotName(id), cancellationToken).ConfigureAwait(false))?.Size ?? 0;
            if (!dry)
                await repository.DeleteSnapshotAsync(id, cancellationToken).ConfigureAwait(false);
        }
        return new Removal(snapshots, record, onlyTheirs, bytes);
    }

    /// <summary>Step 2, after step 1: the time T, and the live locks of other processes (L).</summary>
    private static async Task<LockView> ReadLocksAsync(BackupRepository repository, RepositoryLock ownLock,
        CancellationToken cancellationToken)
    {
        var listedAt = repository.Time.GetUtcNow();
        var locks = (await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false))
            .Where(l => l.Info.Id != ownLock.Info.Id).ToList();
        return new LockView(listedAt,
            locks.Where(l => !l.Stale).Select(l => l.Info).ToList(),
            locks.Where(l => l.Stale).Select(l => l.Info.Describe()).ToList());
    }

    /// <summary>
    /// Step 3, after step 2: the index of live snapshots, which includes those committed meanwhile. In a dry run the
    /// snapshots to forget are still there and are left out here.
    /// </summary>
    private static async Task<SnapshotListing> ReadLiveSnapshotsAsync(BackupRepository repository, Removal removal,
        bool dry, CancellationToken cancellationToken)
    {
        var listing = await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        return dry ? listing with { Snapshots = listing.Snapshots.Where(s => !removal.Snapshots.ContainsKey(s.Id)).ToList() } : listing;
    }

    /// <summary>
    /// Step 3, the forgotten records: the chunks of removed snapshots that an operation running now may still use
    /// (this cleanup's own record while any lock is live; older ones while a lock taken before this cleanup started is
    /// live), less those marked anyway; and the records no one can need any more.
    /// </summary>
    private static async Task<RetainedRecords> RetainForgottenChunksAsync(BackupRepository repository, RepositoryLock ownLock,
        Removal removal, LockView locks, HashSet<ObjectId> marked, GarbageCollectionOptions options,
        CancellationToken cancellationToken)
    {
        var oldRecordsNeeded = locks.Live.Any(l => l.Created < ownLock.Info.Created + options.ClockSkew);
        var chunks = new HashSet<ObjectId>();
        var toDrop = new List<string>();
        var kept = 0;
        if (locks.Live.Count > 0 && removal.Snapshots.Count > 0)
        {
            kept++;
            chunks.UnionWith(removal.OnlyTheirChunks);
        }
        else if (removal.Record is not null)
        {
            toDrop.Add(removal.Record);
        }
        await foreach (var info in repository.Backend.ListAsync(RepositoryLayout.ForgottenFolder, cancellationToken).ConfigureAwait(false))
        {
            if (info.Name == removal.Record)
                continue;
            if (!oldRecordsNeeded)
            {
                toDrop.Add(info.Name);
                continue;
            }
            kept++;
            chunks.UnionWith(await ReadRecordAsync(repository, info.Name, cancellationToken).ConfigureAwait(false));
        }
        chunks.ExceptWith(marked);
        return new RetainedRecords(chunks, kept, toDrop);
    }

    /// <summary>
    /// Step 4, the grace checks: every unmarked chunk that is older than the grace period, than T and than every live
    /// lock (T and lock times less the clock-skew margin), and not held for a forgotten record.
    /// </summary>
    private static async Task<Candidates> SelectCandidatesAsync(BackupRepository repository, HashSet<ObjectId> marked,
        HashSet<ObjectId> retained, LockView locks, GarbageCollectionOptions options, CancellationToken cancellationToken)
    {
        var youngFrom = repository.Time.GetUtcNow() - options.GracePeriod;
        // Anything written since T or since the start of a live lock may belong to a running operation.
        var oldestLive = locks.Live.Count == 0 ? locks.ListedAt : locks.Live.Min(l => l.Created);
        var runningFrom = (oldestLive < locks.ListedAt ? oldestLive : locks.ListedAt) - options.ClockSkew;
        int total = 0, keptYoung = 0, keptRunning = 0, keptForgotten = 0;
        var objects = new List<StorageObjectInfo>();
        await foreach (var (id, info) in repository.ListChunksAsync(cancellationToken).ConfigureAwait(false))
        {
            total++;
            if (marked.Contains(id))
                continue;
            if (retained.Contains(id))
                keptForgotten++;
            else if (info.LastModified > youngFrom)
                keptYoung++;
            else if (info.LastModified >= runningFrom)
                keptRunning++;
            else
                objects.Add(info);
        }
        return new Candidates(objects, total, keptYoung, keptRunning, keptForgotten);
    }

    /// <summary>
    /// Step 4, the sweep: deletes each candidate unless it was written again since the listing (a second look at its
    /// time), and stops before any delete once this cleanup's lock may look stale to others.
    /// </summary>
    private static async Task<SweepOutcome> SweepAsync(BackupRepository repository, RepositoryLock ownLock,
        IReadOnlyList<StorageObjectInfo> candidates, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var backend = repository.Backend;
        await ownLock.EnsureHeldAsync(cancellationToken).ConfigureAwait(false);
        var deleted = 0;
        var rewritten = 0;
        var freed = new ConcurrentBag<long>();
        await Parallel.ForEachAsync(candidates,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (candidate, ct) =>
            {
                var current = await backend.StatAsync(candidate.Name, ct).ConfigureAwait(false);
                if (current is null)
                    return;
                if (current.Value.LastModified != candidate.LastModified)
                {
                    Interlocked.Increment(ref rewritten);
                    return;
                }
                ownLock.ThrowIfLost();
                await backend.DeleteAsync(candidate.Name, ct).ConfigureAwait(false);
                Interlocked.Increment(ref deleted);
                freed.Add(candidate.Size);
                progress?.Report(candidate.Size);
            }).ConfigureAwait(false);
        return new SweepOutcome(deleted, rewritten, freed.Sum());
    }

    /// <summary>Step 5: records no running operation can need any more.</summary>
    private static async Task DropRecordsAsync(BackupRepository repository, IReadOnlyList<string> names,
        CancellationToken cancellationToken)
    {
        foreach (var name in names)
            await repository.Backend.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The collection stops at step 3 when a manifest does not read: only it knows which chunks its snapshot needs,
    /// so no chunk may be deleted. What steps 0 to 2 did stays (removed manifests, their record), as after a crash.
    /// </summary>
    private static GarbageCollectionReport SkippedReport(bool dry, Removal removal, LockView locks,
        IReadOnlyList<UnreadableSnapshot> unreadable, int temporaryFiles)
    {
        var names = string.Join(", ", unreadable.Take(5).Select(u => u.Object)) +
                    (unreadable.Count > 5 ? $" and {unreadable.Count - 5} more" : "");
        var count = unreadable.Count == 1 ? "1 unreadable manifest" : $"{unreadable.Count} unreadable manifests";
        return new GarbageCollectionReport
        {
            DryRun = dry,
            SnapshotsRemoved = removal.Snapshots.Count,
            ChunksTotal = 0,
            ChunksReferenced = 0,
            ChunksDeleted = 0,
            ChunksKeptYoung = 0,
            ChunksKeptForRunningOperations = 0,
            ChunksKeptForForgottenSnapshots = 0,
            BytesFreed = removal.Bytes,
            ForgottenRecordsKept = 0,
            ForgottenRecordsRemoved = 0,
            RunningOperations = locks.Live.Select(l => l.Describe()).ToList(),
            StaleLocksIgnored = locks.Stale,
            TemporaryFilesRemoved = temporaryFiles,
            Unreadable = unreadable,
            SweepSkipped = $"garbage collection skipped: {count} ({names}); only a manifest knows which chunks its snapshot " +
                           "needs, so no chunk was deleted; set them aside, see 'A damaged manifest' in docs/RUNBOOK.md",
        };
    }

    private static async Task<string> WriteRecordAsync(BackupRepository repository, IEnumerable<ObjectId> snapshots,
        IEnumerable<ObjectId> chunks, CancellationToken cancellationToken)
    {
        var json = RepositoryJson.Serialize(new ForgottenRecord
        {
            Time = repository.Time.GetUtcNow(),
            Host = repository.Options.HostName,
            Snapshots = snapshots.Select(id => id.ToString()).ToList(),
            Chunks = chunks.Select(id => id.ToString()).ToList(),
        });
        var name = RepositoryLayout.ForgottenName(repository.Time.GetUtcNow(), repository.Codec.ComputeId(json));
        await repository.Backend.PutAsync(name, repository.Codec.Pack(json), cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>The chunk ids of a forgotten/ record; none when it vanished meanwhile.</summary>
    private static async Task<IEnumerable<ObjectId>> ReadRecordAsync(BackupRepository repository, string name,
        CancellationToken cancellationToken)
    {
        byte[] stored;
        try
        {
            stored = await repository.Backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return [];
        }
        try
        {
            if (!RepositoryLayout.TryParseRecordId(name, out var id))
                throw new BulwarkException(ErrorKind.Integrity, $"record {name} has no id in its name");
            var json = repository.Codec.Unpack(stored, id, name, ObjectLimits.Manifest);
            var record = RepositoryJson.Deserialize<ForgottenRecord>(json, $"record {name}");
            return record.Chunks.Select(ObjectId.Parse);
        }
        catch (Exception e) when (e is BulwarkException { Kind: ErrorKind.Integrity } or FormatException)
        {
            // Its chunks cannot be known, so nothing may be swept while it is needed.
            throw new BulwarkException(ErrorKind.Integrity,
                $"the record of removed snapshots {name} is damaged, and a running operation may still need its chunks: {e.Message}",
                "run cleanup again when no backup or restore runs (the record is then no longer needed), or delete the object by hand then");
        }
    }

    /// <summary>Step 1's result: the snapshots removed, their record, the chunks only they referenced, the bytes freed.</summary>
    private sealed record Removal(Dictionary<ObjectId, Snapshot> Snapshots, string? Record, HashSet<ObjectId> OnlyTheirChunks,
        long Bytes);

    /// <summary>Step 2's result: when the locks were listed (T), the live ones of others (L), the stale ones.</summary>
    private sealed record LockView(DateTimeOffset ListedAt, IReadOnlyList<LockInfo> Live, IReadOnlyList<string> Stale);

    private sealed record RetainedRecords(HashSet<ObjectId> Chunks, int Kept, IReadOnlyList<string> ToDrop);

    private sealed record Candidates(IReadOnlyList<StorageObjectInfo> Objects, int Total, int KeptYoung, int KeptRunning,
        int KeptForgotten);

    private sealed record SweepOutcome(int Deleted, int Rewritten, long Freed);
}
