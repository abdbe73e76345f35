using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Verification;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Repository.Maintenance;

/// <summary>The garbage collection protocol on real local repositories, with real locks and real file times.</summary>
public sealed class GarbageCollectorTests : IDisposable
{
    private static readonly GarbageCollectionOptions NoMargins = new() { GracePeriod = TimeSpan.Zero, ClockSkew = TimeSpan.Zero };
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;
    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private Task<SyntheticRepository> CreateAsync() => SyntheticRepository.CreateAsync(_directory.Combine("repo"));

    private static async Task<GarbageCollectionReport> CollectAsync(BackupRepository repository,
        IReadOnlyCollection<Snapshot> forget, GarbageCollectionOptions? options = null)
    {
        options ??= NoMargins;
        await using var prune = await repository.LockAsync(options.DryRun ? LockMode.Shared : LockMode.Prune, "cleanup", Ct);
        return await GarbageCollector.RunAsync(repository, prune, forget, options, null, Ct);
    }

    private static async Task AssertVerifiesAsync(BackupRepository repository)
    {
        var report = await RepositoryVerifier.VerifyAsync(repository, null, readData: true, cancellationToken: Ct);
        Assert.True(report.Ok, string.Join("\n", report.Problems.Select(p => $"{p.Object}: {p.Message}")));
    }

    private static List<string> ObjectsUnder(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f)).Where(f => !f.StartsWith("locks", StringComparison.Ordinal)).Order().ToList();

    [Fact]
    public async Task Collect_RemovesForgottenSnapshotsAndOnlyTheirOwnChunks()
    {
        var repo = await CreateAsync();
        var old = await repo.AddSnapshotAsync(Enumerable.Range(0, 20), Now.AddDays(-3));
        var kept = await repo.AddSnapshotAsync(Enumerable.Range(10, 20), Now.AddDays(-2));
        var orphan = await repo.AddOrphanAsync(1000);
        repo.AgeAllChunks(Now.AddHours(-2));

        var report = await CollectAsync(repo.Repository, [old]);

        Assert.Equal(1, report.SnapshotsRemoved);
        Assert.Equal(31, report.ChunksTotal);
        Assert.Equal(20, report.ChunksReferenced);
        Assert.Equal(11, report.ChunksDeleted); // 0-9 and the orphan
        Assert.True(report.BytesFreed > 11 * 256 / 2);
        Assert.Equal(SyntheticRepository.ChunkNamesOf(kept).ToHashSet(), await repo.ChunkNamesAsync());
        Assert.False(File.Exists(repo.PathOf(orphan)));
        Assert.Equal([kept.Id], await repo.Repository.ListSnapshotIdsAsync(Ct));
        Assert.False(Directory.Exists(repo.PathOf("forgotten")) && Directory.EnumerateFiles(repo.PathOf("forgotten")).Any());
        await AssertVerifiesAsync(repo.Repository);
    }

    [Fact]
    public async Task GracePeriod_SparesYoungUnreferencedChunks()
    {
        var repo = await CreateAsync();
        var young = await repo.AddOrphanAsync(1);
        var old = await repo.AddOrphanAsync(2);
        repo.Age(old, Now.AddMinutes(-61));
        repo.Age(young, Now.AddMinutes(-59));

        var report = await CollectAsync(repo.Repository, [], NoMargins with { GracePeriod = TimeSpan.FromHours(1) });

        Assert.Equal((1, 1), (report.ChunksDeleted, report.ChunksKeptYoung));
        Assert.True(File.Exists(repo.PathOf(young)));
        Assert.False(File.Exists(repo.PathOf(old)));
    }

    [Fact]
    public async Task LiveLock_SparesChunksWrittenSinceItStarted_ButNotOlderOrphans()
    {
        var repo = await CreateAsync();
        var before = await repo.AddOrphanAsync(1);
        await using var backup = await repo.Repository.LockAsync(LockMode.Shared, "backup", Ct);
        var during = await repo.AddOrphanAsync(2);
        repo.Age(before, backup.Info.Created.AddSeconds(-10));
        repo.Age(during, backup.Info.Created);

        var report = await CollectAsync(repo.Repository, []);

        Assert.False(File.Exists(repo.PathOf(before)));
        Assert.True(File.Exists(repo.PathOf(during)));
        Assert.Equal((1, 1), (report.ChunksDeleted, report.ChunksKeptForRunningOperations));
        Assert.Contains(report.RunningOperations, r => r.StartsWith("backup (shared)", StringComparison.Ordinal));

        // The clock-skew margin widens the protection backwards.
        var report2 = await CollectAsync(repo.Repository, [], NoMargins with { ClockSkew = TimeSpan.FromMinutes(5) });
        Assert.Equal((0, 1), (report2.ChunksDeleted, report2.ChunksKeptForRunningOperations));
    }

    [Fact]
    public async Task ChunksOfARemovedSnapshot_StayWhileAnOperationThatMayHaveReadItsManifestRuns()
    {
        var repo = await CreateAsync();
        var parent = await repo.AddSnapshotAsync(Enumerable.Range(0, 10), Now.AddDays(-2));
        var newer = await repo.AddSnapshotAsync(Enumerable.Range(100, 10), Now.AddDays(-1));
        repo.AgeAllChunks(Now.AddHours(-2));
        var parentChunks = SyntheticRepository.ChunkNamesOf(parent).ToList();

        // A backup started (and listed the parent as a base for deduplication) before the cleanup.
        var backup = await repo.Repository.LockAsync(LockMode.Shared, "backup", Ct);
        var first = await CollectAsync(repo.Repository, [parent]);
        Assert.Equal(1, first.SnapshotsRemoved);
        Assert.Equal(10, first.ChunksKeptForForgottenSnapshots);
        Assert.Equal(0, first.ChunksDeleted);
        Assert.Equal(1, first.ForgottenRecordsKept);
        Assert.All(parentChunks, c => Assert.True(File.Exists(repo.PathOf(c))));
        Assert.Single(Directory.EnumerateFiles(repo.PathOf("forgotten")));

        // A later cleanup while that backup still runs: the record still protects the chunks.
        var second = await CollectAsync(repo.Repository, []);
        Assert.Equal((0, 10, 1), (second.ChunksDeleted, second.ChunksKeptForForgottenSnapshots, second.ForgottenRecordsKept));

        // The backup commits a snapshot that reuses the parent's chunks, and ends.
        var child = await repo.AddSnapshotAsync(Enumerable.Range(0, 5), Now);
        await backup.DisposeAsync();

        // Nothing that could have listed the parent runs any more: the record goes, and the chunks only it needed.
        var third = await CollectAsync(repo.Repository, []);
        Assert.Equal((5, 0, 1), (third.ChunksDeleted, third.ChunksKeptForForgottenSnapshots, third.ForgottenRecordsRemoved));
        Assert.Empty(Directory.EnumerateFiles(repo.PathOf("forgotten")));
        Assert.Equal(SyntheticRepository.ChunkNamesOf(newer).Concat(SyntheticRepository.ChunkNamesOf(child)).ToHashSet(),
            await repo.ChunkNamesAsync());
        await AssertVerifiesAsync(repo.Repository);
    }

    [Fact]
    public async Task ChunkSharedByTwoSnapshotsRemovedByTwoCleanups_StaysWhileTheBackupThatListedThemRuns()
    {
        var repo = await CreateAsync();
        var parent = await repo.AddSnapshotAsync(Enumerable.Range(0, 10), Now.AddDays(-3));
        var sibling = await repo.AddSnapshotAsync(Enumerable.Range(5, 10), Now.AddDays(-2)); // shares 5-9
        await repo.AddSnapshotAsync(Enumerable.Range(100, 5), Now.AddDays(-1));
        repo.AgeAllChunks(Now.AddHours(-2));
        await using var backup = await repo.Repository.LockAsync(LockMode.Shared, "backup", Ct);

        // The first record leaves 5-9 out (the sibling still had them); the second cleanup's record covers them.
        var first = await CollectAsync(repo.Repository, [parent]);
        Assert.Equal(5, first.ChunksKeptForForgottenSnapshots);
        var second = await CollectAsync(repo.Repository, [sibling]);
        Assert.Equal((15, 0, 2), (second.ChunksKeptForForgottenSnapshots, second.ChunksDeleted, second.ForgottenRecordsKept));
        var third = await CollectAsync(repo.Repository, []);
        Assert.Equal((15, 0), (third.ChunksKeptForForgottenSnapshots, third.ChunksDeleted));
        await backup.DisposeAsync();
        var last = await CollectAsync(repo.Repository, []);
        Assert.Equal((0, 15, 2), (last.ChunksKeptForForgottenSnapshots, last.ChunksDeleted, last.ForgottenRecordsRemoved));
    }

    [Fact]
    public async Task UnreadableManifest_IsNeverForgotten_AndNoChunkIsDeletedWhileItIsThere_ThenCollectedOnceSetAside()
    {
        var repo = await CreateAsync();
        var damaged = await repo.AddSnapshotAsync(Enumerable.Range(0, 10), Now.AddDays(-3)); // 0-9: only it needs them
        var old = await repo.AddSnapshotAsync(Enumerable.Range(20, 10), Now.AddDays(-2));
        var kept = await repo.AddSnapshotAsync(Enumerable.Range(40, 10), Now.AddDays(-1));
        var orphan = await repo.AddOrphanAsync(1000);
        repo.AgeAllChunks(Now.AddHours(-2));
        var chunksBefore = await repo.ChunkNamesAsync();
        var manifest = repo.PathOf(RepositoryLayout.SnapshotName(damaged.Id));
        var bytes = await File.ReadAllBytesAsync(manifest, Ct);
        bytes[bytes.Length / 2] ^= 0x08;
        await File.WriteAllBytesAsync(manifest, bytes, Ct);
        // A fresh instance: the one that committed the manifest still holds it in memory.
        await using var reopened = await BackupRepository.OpenAsync(new LocalBackend(repo.Root), new RepositoryOpenOptions(), Ct);

        var report = await CollectAsync(reopened, [old]);

        Assert.Equal(1, report.SnapshotsRemoved);
        Assert.Equal(damaged.Id, Assert.Single(report.Unreadable).Id);
        Assert.Contains($"garbage collection skipped: 1 unreadable manifest (snapshots/{damaged.Id})", report.SweepSkipped);
        Assert.Contains("set them aside", report.SweepSkipped);
        Assert.Equal(0, report.ChunksDeleted);
        Assert.Equal(chunksBefore, await repo.ChunkNamesAsync());
        Assert.True(File.Exists(manifest));
        Assert.Equal(new[] { damaged.Id, kept.Id }.Order(), (await reopened.ListSnapshotIdsAsync(Ct)).Order());

        // Set aside (the runbook's remedy), the next collection deletes what neither kept snapshot nor record needs.
        File.Move(manifest, _directory.Combine("set-aside"));
        var next = await CollectAsync(reopened, []);
        Assert.Null(next.SweepSkipped);
        Assert.Equal(21, next.ChunksDeleted); // 0-9 of the damaged one, 20-29 of the forgotten one, the orphan
        Assert.Equal(1, next.ForgottenRecordsRemoved);
        Assert.False(File.Exists(repo.PathOf(orphan)));
        Assert.Equal(SyntheticRepository.ChunkNamesOf(kept).ToHashSet(), await repo.ChunkNamesAsync());
        await AssertVerifiesAsync(reopened);
    }

    [Fact]
    public async Task DryRun_ChangesNothing_AndPredictsTheRealRun()
    {
        var repo = await CreateAsync();
        var old = await repo.AddSnapshotAsync(Enumerable.Range(0, 20), Now.AddDays(-3));
        await repo.AddSnapshotAsync(Enumerable.Range(10, 20), Now.AddDays(-2));
        await repo.AddOrphanAsync(1000);
        repo.AgeAllChunks(Now.AddHours(-2));
        var before = ObjectsUnder(repo.Root);

        var dry = await CollectAsync(repo.Repository, [old], NoMargins with { DryRun = true });
        Assert.Equal(before, ObjectsUnder(repo.Root));
        var real = await CollectAsync(repo.Repository, [old]);

        Assert.True(dry.DryRun);
        Assert.Equal((real.SnapshotsRemoved, real.ChunksDeleted, real.ChunksReferenced, real.BytesFreed),
            (dry.SnapshotsRemoved, dry.ChunksDeleted, dry.ChunksReferenced, dry.BytesFreed));
    }

    [Fact]
    public async Task ChunkWrittenAgainBetweenListingAndDelete_IsSpared()
    {
        var repo = await CreateAsync();
        var orphan = await repo.AddOrphanAsync(7);
        repo.Age(orphan, Now.AddHours(-3));
        // A backup writes the same content again just after the sweep listed it (the race the second look is for).
        var racing = new ActOnFirstStat(new LocalBackend(repo.Root), orphan,
            async (backend, ct) => await backend.PutAsync(orphan, await backend.GetAsync(orphan, ct), ct));
        await using var repository = await BackupRepository.OpenAsync(racing, new RepositoryOpenOptions(), Ct);

        var report = await CollectAsync(repository, []);

        Assert.True(racing.Acted);
        Assert.True(File.Exists(repo.PathOf(orphan)));
        Assert.Equal((0, 1), (report.ChunksDeleted, report.ChunksKeptForRunningOperations));
    }

    [Fact]
    public async Task CleanupPausedLongerThanItsLockStaysFresh_StopsBeforeItsNextDelete()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"), clock);
        var orphan = await repo.AddOrphanAsync(3);
        repo.Age(orphan, Now.AddHours(-3));
        // The machine is paused between the second look and the delete; meanwhile the lock looked stale to others,
        // and a backup could have started using this very chunk.
        var pausing = new ActOnFirstStat(new LocalBackend(repo.Root), orphan, (_, _) =>
        {
            clock.Advance(TimeSpan.FromMinutes(40));
            return Task.CompletedTask;
        });
        await using var repository = await BackupRepository.OpenAsync(pausing, new RepositoryOpenOptions { Time = clock }, Ct);

        var error = await Assert.ThrowsAsync<BulwarkException>(() => CollectAsync(repository, []));

        Assert.True(pausing.Acted);
        Assert.Contains("cleanup's lock on the repository was not refreshed for 40 minutes", error.Message);
        Assert.True(File.Exists(repo.PathOf(orphan)));
    }

    [Fact]
    public async Task AbandonedTemporaryFilesGo_StaleLocksAreIgnoredAndReported()
    {
        var repo = await CreateAsync();
        var orphan = await repo.AddOrphanAsync(1);
        repo.Age(orphan, Now.AddHours(-3));
        var oldTemp = repo.PathOf("chunks/ab/abandoned.0123456789ab.tmp");
        var newTemp = repo.PathOf("snapshots/writing.0123456789ab.tmp");
        Directory.CreateDirectory(Path.GetDirectoryName(oldTemp)!);
        Directory.CreateDirectory(Path.GetDirectoryName(newTemp)!);
        await File.WriteAllBytesAsync(oldTemp, new byte[5], Ct);
        await File.WriteAllBytesAsync(newTemp, new byte[5], Ct);
        File.SetLastWriteTimeUtc(oldTemp, DateTime.UtcNow.AddHours(-2));
        // A backup on another host that stopped refreshing its lock an hour ago.
        var stale = new LockInfo
        {
            Id = "0123456789abcdef0123456789abcdef", Mode = LockMode.Shared, Operation = "backup", Host = "elsewhere",
            ProcessId = 1, Created = Now.AddHours(-2), Refreshed = Now.AddHours(-1),
        };
        await repo.Repository.WriteObjectAsync(RepositoryLock.ObjectName(stale.Id), RepositoryJson.Serialize(stale), Ct);

        var report = await CollectAsync(repo.Repository, []);

        Assert.Equal(1, report.TemporaryFilesRemoved);
        Assert.False(File.Exists(oldTemp));
        Assert.True(File.Exists(newTemp));
        Assert.Single(report.StaleLocksIgnored);
        Assert.Empty(report.RunningOperations);
        Assert.Equal(1, report.ChunksDeleted);
    }

    /// <summary>Does something on the first look at one object (a backup writing it again, a pause).</summary>
    private sealed class ActOnFirstStat(IStorageBackend inner, string name, Func<IStorageBackend, CancellationToken, Task> act) : IStorageBackend
    {
        public bool Acted { get; private set; }
        public string Location => inner.Location;
        public Bulwark.Storage.StorageCapabilities Capabilities => inner.Capabilities;
        public Task CreateAsync(CancellationToken cancellationToken) => inner.CreateAsync(cancellationToken);
        public Task PutAsync(string n, ReadOnlyMemory<byte> data, CancellationToken ct) => inner.PutAsync(n, data, ct);
        public Task<byte[]> GetAsync(string n, CancellationToken ct) => inner.GetAsync(n, ct);
        public IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
        public Task DeleteAsync(string n, CancellationToken ct) => inner.DeleteAsync(n, ct);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public async Task<StorageObjectInfo?> StatAsync(string n, CancellationToken ct)
        {
            if (n == name && !Acted)
            {
                Acted = true;
                await act(inner, ct);
            }
            return await inner.StatAsync(n, ct);
        }
    }
}
