using System.Collections.Concurrent;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;
using Bulwark.Storage.Decorators;
using Bulwark.Storage.Local;

namespace Bulwark.Repository.Maintenance;

/// <summary>
/// Removes forgotten snapshots and then every chunk nothing needs, safely beside running backups and restores.
/// <para><b>What the others do.</b> A backup takes a shared lock first, then lists manifests, and deduplicates only
/// against chunks referenced by the last three committed manifests of its database (never against a bare listing);
/// every other chunk it writes again, and a write replaces the object, which renews its time. A restore or
/// verification takes a shared lock, then reads a manifest, then its chunks. Locks are refreshed every 5 minutes and
/// are stale when their process is gone (same host) or after 30 minutes without a refresh. Cleanup holds the prune
/// lock: one cleanup at a time, beside any number of shared locks.</para>
/// <para><b>Protocol.</b> With S = the start of this cleanup's lock:
/// <list type="number">
/// <item>Write one record, forgotten/TIME-ID, of the snapshots to remove and of the chunks that only they reference
/// (a <see cref="ForgottenRecord"/>); then delete their manifests.</item>
/// <item>THEN note the time T and list the locks; L = the live ones of other processes.</item>
/// <item>THEN list the manifests and mark every chunk they reference (this includes snapshots committed meanwhile).
/// Also mark the chunks of a forgotten/ record when it may still be in use: the record written by this cleanup when L
/// is not empty; an older record when a lock of L was created before S (plus the clock-skew margin). A record no longer
/// needed is deleted after the sweep.</item>
/// <item>List the chunks and delete each unmarked one that is older than the grace period, older than T, and older
/// than the creation of every lock in L (T and lock times minus the clock-skew margin). Just before deleting, its time
/// is read again: one written again since the listing is spared.</item>
/// </list></para>
/// <para><b>Why a chunk that a kept snapshot needs survives.</b> A committed snapshot K that is not forgotten
/// references chunk C. If K's manifest was listed in step 3, C is marked. If not, K was committed after step 3's
/// listing, by a backup B that holds its lock from before it lists manifests until after it commits. So B's lock was
/// either listed in step 2, and is in L unless stale (the one gap, see Limits), or created after T. C is in K because
/// B either wrote it or found it in one of its parent manifests P. (a) B wrote C: after its lock was created, so C's
/// time is not older than that creation, which is in L or after T; step 4 spares C (the clock-skew margin covers
/// clocks that differ). Had C already existed with an older time, B's write renewed it; if that write came after
/// step 4's listing, the second look just before the delete sees it. (b) C came from P: if P is still a snapshot, it
/// was listed in step 3 and C is marked. Otherwise P was removed in step 1 of this cleanup, after B listed it, so B's
/// lock is in L, L is not empty and this cleanup's record marks C; or P was removed by an earlier cleanup E, which
/// ended before S (prune locks exclude each other) and after B listed P, so B's lock is in L with a creation before S
/// and E's record marks C. (A record leaves out chunks that snapshots kept at its time referenced: such a snapshot is
/// either still there, so its chunks are marked, or was removed later, and the record of that removal covers them.)
/// A record is dropped only when no live lock could have listed its manifests.</para>
/// <para><b>Restores</b> of a snapshot being forgotten are covered by (b) too: they lock before reading the manifest.</para>
/// <para><b>Crashes.</b> Every step is idempotent and ordered so that an interruption (kill -9, power loss) leaves
/// only more than needed: a record of manifests not yet deleted, deleted manifests with their record, unmarked chunks
/// not yet deleted. A later cleanup decides again from what it finds and finishes the work. Nothing a kept snapshot
/// references is deleted at any point, because marking happens only after the manifests are gone.</para>
/// <para><b>Limits.</b> (1) A lock counts as stale after 30 minutes without a refresh. A backup paused for longer is
/// covered by its check before committing; a paused cleanup stops before its next delete once its own lock may look
/// stale (<see cref="RepositoryLock.ThrowIfLost"/>), leaving only a pause in the instant before one delete. (2) The second look
/// before a delete narrows, but cannot close, the window in which a backup rewrites an old unreferenced chunk in the
/// instant between that look and the delete (the storage contract has no conditional delete); the backup closes it
/// in <see cref="BeforeCommitAsync(BackupRepository, RepositoryLock, IReadOnlyCollection{ObjectId}, TimeSpan, TimeSpan, CancellationToken)"/>, which finds a sweep by its event and checks the chunks before committing. (3) A backup's lock must be created
/// by a clock within the clock-skew margin of the storage's clock.</para>
/// </summary>
public static class GarbageCollector
{
    /// <summary>Records of removed snapshots (<see cref="ForgottenRecord"/>), one per cleanup that removed any.</summary>
    public const string ForgottenFolder = "forgotten/";

    /// <summary>Kind of the event each cleanup writes before it sweeps, so that a backup can tell one ran beside it.</summary>
    public const string SweepEventKind = "sweeps";

    private const int Parallelism = 8;
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);

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
        var backend = repository.Backend;
        var start = ownLock.Info.Created;
        var dry = options.DryRun;
        long freed = 0;

        var temporaryFiles = 0;
        if (!dry && backend.Unwrap<LocalBackend>() is { } local)
        {
            var age = options.GracePeriod > GarbageCollectionOptions.TemporaryFileAge
                ? options.GracePeriod
                : GarbageCollectionOptions.TemporaryFileAge;
            temporaryFiles = local.RemoveAbandonedTemporaryFiles(age, repository.Time.GetUtcNow());
        }

        // 0. Leave a trace that a sweep ran: a backup that overlapped it checks its chunks before committing.
        if (!dry)
            await repository.AppendEventAsync(SweepEventKind, new SweepRecord
            {
                Time = repository.Time.GetUtcNow(),
                Host = repository.Options.HostName,
                Lock = ownLock.Info.Id,
            }, cancellationToken).ConfigureAwait(false);

        // 1. Record, then remove, the forgotten manifests.
        var forgottenNow = forget.ToDictionary(s => s.Id);
        string? ownRecord = null;
        HashSet<ObjectId> ownChunks = [];
        if (forgottenNow.Count > 0)
        {
            var others = (await ListAllAsync(repository, cancellationToken).ConfigureAwait(false))
                .Where(s => !forgottenNow.ContainsKey(s.Id));
            ownChunks = BackupRepository.ReferencedChunks(forgottenNow.Values);
            ownChunks.ExceptWith(BackupRepository.ReferencedChunks(others));
            if (!dry)
            {
                ownRecord = await WriteRecordAsync(repository, forgottenNow.Keys, ownChunks, cancellationToken).ConfigureAwait(false);
                foreach (var id in forgottenNow.Keys)
                {
                    var name = BackupRepository.SnapshotName(id);
                    if (await backend.StatAsync(name, cancellationToken).ConfigureAwait(false) is { } info)
                        freed += info.Size;
                    await repository.DeleteSnapshotAsync(id, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                foreach (var id in forgottenNow.Keys)
                    freed += (await backend.StatAsync(BackupRepository.SnapshotName(id), cancellationToken).ConfigureAwait(false))?.Size ?? 0;
            }
        }

        // 2. Then the time and the locks.
        var listedLocksAt = repository.Time.GetUtcNow();
        var locks = (await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false))
            .Where(l => l.Info.Id != ownLock.Info.Id).ToList();
        var live = locks.Where(l => !l.Stale).Select(l => l.Info).ToList();
        var stale = locks.Where(l => l.Stale).Select(l => l.Info.Describe()).ToList();
        DateTimeOffset? oldestLive = live.Count == 0 ? null : live.Min(l => l.Created);

        // 3. Then mark.
        var remaining = await ListAllAsync(repository, cancellationToken).ConfigureAwait(false);
        if (dry)
            remaining = remaining.Where(s => !forgottenNow.ContainsKey(s.Id)).ToList();
        var marked = BackupRepository.ReferencedChunks(remaining);
        var referencedCount = marked.Count;

        var oldRecordsNeeded = live.Any(l => l.Created < start + options.ClockSkew);
        var ownRecordNeeded = live.Count > 0;
        var forgottenChunks = new HashSet<ObjectId>();
        var recordsToDrop = new List<string>();
        var recordsKept = 0;
        if (ownRecordNeeded && forgottenNow.Count > 0)
        {
            recordsKept++;
            forgottenChunks.UnionWith(ownChunks);
        }
        else if (ownRecord is not null)
        {
            recordsToDrop.Add(ownRecord);
        }
        await foreach (var info in backend.ListAsync(ForgottenFolder, cancellationToken).ConfigureAwait(false))
        {
            if (info.Name == ownRecord)
                continue;
            if (!oldRecordsNeeded)
            {
                recordsToDrop.Add(info.Name);
                continue;
            }
            recordsKept++;
            foreach (var chunk in await ReadRecordAsync(repository, info.Name, cancellationToken).ConfigureAwait(false))
                forgottenChunks.Add(chunk);
        }
        forgottenChunks.ExceptWith(marked);

        // 4. Sweep.
        var now = repository.Time.GetUtcNow();
        var youngFrom = now - options.GracePeriod;
        // Anything written since T or since the start of a live lock may belong to a running operation.
        var runningFrom = (oldestLive is { } oldest && oldest < listedLocksAt ? oldest : listedLocksAt) - options.ClockSkew;
        int total = 0, keptYoung = 0, keptRunning = 0, keptForgotten = 0;
        var candidates = new List<StorageObjectInfo>();
        await foreach (var (id, info) in repository.ListChunksAsync(cancellationToken).ConfigureAwait(false))
        {
            total++;
            if (marked.Contains(id))
                continue;
            if (forgottenChunks.Contains(id))
                keptForgotten++;
            else if (info.LastModified > youngFrom)
                keptYoung++;
            else if (info.LastModified >= runningFrom)
                keptRunning++;
            else
                candidates.Add(info);
        }

        var deleted = 0;
        var rewritten = 0;
        if (dry)
        {
            deleted = candidates.Count;
            freed += candidates.Sum(c => c.Size);
        }
        else
        {
            // Deletes cannot be undone: a lock that went stale meanwhile (a pause) stops the sweep here and before each one.
            await ownLock.EnsureHeldAsync(cancellationToken).ConfigureAwait(false);
            var freedChunks = new ConcurrentBag<long>();
            await Parallel.ForEachAsync(candidates,
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (candidate, ct) =>
                {
                    // A second look: a backup may have written the chunk again since the listing.
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
                    freedChunks.Add(candidate.Size);
                    progress?.Report(candidate.Size);
                }).ConfigureAwait(false);
            freed += freedChunks.Sum();
        }

        // 5. Records no running operation can need any more.
        if (!dry)
        {
            foreach (var name in recordsToDrop)
                await backend.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }

        return new GarbageCollectionReport
        {
            DryRun = dry,
            SnapshotsRemoved = forgottenNow.Count,
            ChunksTotal = total,
            ChunksReferenced = referencedCount,
            ChunksDeleted = deleted,
            ChunksKeptYoung = keptYoung,
            ChunksKeptForRunningOperations = keptRunning + rewritten,
            ChunksKeptForForgottenSnapshots = keptForgotten,
            BytesFreed = freed,
            ForgottenRecordsKept = recordsKept,
            ForgottenRecordsRemoved = dry ? 0 : recordsToDrop.Count,
            RunningOperations = live.Select(l => l.Describe()).ToList(),
            StaleLocksIgnored = stale,
            TemporaryFilesRemoved = temporaryFiles,
        };
    }

    /// <summary>How long a commit waits for a cleanup running beside it.</summary>
    public static readonly TimeSpan CommitWaitLimit = TimeSpan.FromMinutes(30);

    /// <summary>The check below, for the chunks of the manifest about to be committed (by a backup or a copy).</summary>
    public static Task BeforeCommitAsync(BackupRepository repository, RepositoryLock ownLock, SnapshotManifest manifest,
        TimeSpan clockSkew, CancellationToken cancellationToken) =>
        BeforeCommitAsync(repository, ownLock, BackupRepository.ReferencedChunks([new Snapshot(default, manifest)]), clockSkew,
            CommitWaitLimit, cancellationToken);

    /// <summary>
    /// What a backup calls just before committing, holding its shared lock: waits while a cleanup runs, and when one
    /// swept since <paramref name="ownLock"/> was taken, checks that every chunk in <paramref name="chunks"/> still
    /// exists. This closes the one window the protocol leaves open (a chunk written again in the instant between a
    /// cleanup's second look and its delete). A missing chunk fails the backup before it commits: no snapshot is ever
    /// written that points at missing data. A cleanup that starts after this check sees the backup's lock.
    /// </summary>
    public static async Task BeforeCommitAsync(BackupRepository repository, RepositoryLock ownLock,
        IReadOnlyCollection<ObjectId> chunks, TimeSpan clockSkew, TimeSpan maxWait, CancellationToken cancellationToken)
    {
        var waitedUntil = repository.Time.GetUtcNow() + maxWait;
        // A cleanup that was already sweeping when this lock was taken left its event before it.
        var swept = ownLock.CleanupRunningAtStart;
        while (true)
        {
            var running = (await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false))
                .FirstOrDefault(l => !l.Stale && l.Info.Mode == LockMode.Prune);
            if (running is null)
                break;
            swept = true;
            if (repository.Time.GetUtcNow() > waitedUntil)
                throw new BulwarkException(ErrorKind.RepositoryLocked,
                    $"a cleanup has run for longer than {maxWait.TotalMinutes:0} minutes beside this {ownLock.Info.Operation} ({running.Info.Describe()}); the {ownLock.Info.Operation} was not committed",
                    $"run the {ownLock.Info.Operation} again when the cleanup has finished");
            await Task.Delay(PollInterval, repository.Time, cancellationToken).ConfigureAwait(false);
        }
        if (!swept)
        {
            var since = ownLock.Info.Created - clockSkew;
            await foreach (var info in repository.Backend.ListAsync($"{BackupRepository.EventsFolder}{SweepEventKind}/", cancellationToken).ConfigureAwait(false))
            {
                var stamp = info.Name[(info.Name.LastIndexOf('/') + 1)..].Split('-')[0];
                if (long.TryParse(stamp, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var millis) &&
                    DateTimeOffset.FromUnixTimeMilliseconds(millis) >= since)
                {
                    swept = true;
                    break;
                }
            }
        }
        if (!swept)
            return;
        var present = new HashSet<ObjectId>();
        await foreach (var (id, _) in repository.ListChunksAsync(cancellationToken).ConfigureAwait(false))
            present.Add(id);
        var missing = chunks.Count(c => !present.Contains(c));
        if (missing > 0)
            throw new BulwarkException(ErrorKind.Failed,
                $"a cleanup that ran during this {ownLock.Info.Operation} removed {missing} chunk(s) it needs; no snapshot was written",
                $"run the {ownLock.Info.Operation} again");
    }

    /// <summary>Every snapshot; one whose manifest cannot be read stops the cleanup before it deletes a chunk.</summary>
    private static async Task<IReadOnlyList<Snapshot>> ListAllAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var listing = await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        if (listing.Unreadable.Count > 0)
            throw BackupRepository.UnreadableManifests(listing.Unreadable,
                "cleanup stopped before deleting any chunk, as it cannot know which chunks a damaged snapshot needs");
        return listing.Snapshots;
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
        var id = repository.Codec.ComputeId(json);
        var millis = repository.Time.GetUtcNow().ToUnixTimeMilliseconds().ToString("D15", System.Globalization.CultureInfo.InvariantCulture);
        var name = $"{ForgottenFolder}{millis}-{id}";
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
            var dash = name.LastIndexOf('-');
            if (!ObjectId.TryParse(name[(dash + 1)..], out var id))
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
}
