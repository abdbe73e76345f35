using Bulwark.Repository;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Streams;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Repository;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Repository.Maintenance;

/// <summary>The backup's half of the cleanup protocol: a commit that overlapped a sweep checks its chunks first.</summary>
public sealed class BeforeCommitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(BackupRepository Repository, HashSet<ObjectId> Chunks)> WithChunksAsync(TempDirectory dir,
        TimeProvider? clock = null)
    {
        var repository = clock is null
            ? await ChunkStoreTests.NewRepositoryAsync(dir)
            : await BackupRepository.InitAsync(new LocalBackend(dir.Combine("repo")), new RepositoryOpenOptions { Time = clock },
                new ChunkerParameters(4 * 1024, 16 * 1024, 64 * 1024, 0), cancellationToken: Ct);
        var data = new byte[300_000];
        new Random(1).NextBytes(data);
        var entry = await new StreamUploader(repository, new HashSet<ObjectId>()).UploadAsync("s", "t", new MemoryStream(data), cancellationToken: Ct);
        return (repository, entry.Chunks.Select(c => c.Id).ToHashSet());
    }

    [Fact]
    public async Task ASweepDuringTheBackup_ThatRemovedAChunk_FailsTheCommit()
    {
        using var dir = new TempDirectory();
        var (repository, chunks) = await WithChunksAsync(dir);
        await using var _ = repository;
        await using var backupLock = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        await repository.AppendEventAsync(RepositoryLayout.SweepEvents,
            new SweepRecord { Time = DateTimeOffset.UtcNow, Host = "h", Lock = "x" }, Ct);
        await repository.CheckChunksAfterCleanupAsync(backupLock, chunks, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), Ct);

        await repository.DeleteObjectAsync(RepositoryLayout.ChunkName(chunks.First()), Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.CheckChunksAfterCleanupAsync(backupLock, chunks, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), Ct));
        Assert.Equal(ErrorKind.Failed, error.Kind);
        Assert.Contains("removed 1 chunk(s)", error.Message);
        Assert.Contains("no snapshot was written", error.Message);
    }

    [Fact]
    public async Task ASweepBeforeTheBackupStarted_IsNotItsConcern()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (repository, chunks) = await WithChunksAsync(dir, clock);
        await using var _ = repository;
        await repository.AppendEventAsync(RepositoryLayout.SweepEvents,
            new SweepRecord { Time = clock.GetUtcNow(), Host = "h", Lock = "x" }, Ct);
        clock.Advance(TimeSpan.FromMilliseconds(1200));
        await using var backupLock = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        // A missing chunk here is one the backup itself must have reported when it wrote it; no listing is done.
        await repository.DeleteObjectAsync(RepositoryLayout.ChunkName(chunks.First()), Ct);
        await repository.CheckChunksAfterCleanupAsync(backupLock, chunks, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), Ct);
    }

    [Fact]
    public async Task ACleanupAlreadySweepingWhenTheBackupStarted_AndDoneBeforeItsCommit_HasTheChunksChecked()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (repository, chunks) = await WithChunksAsync(dir, clock);
        await using var _ = repository;
        var prune = await repository.LockAsync(LockMode.Prune, "cleanup", Ct);
        await repository.AppendEventAsync(RepositoryLayout.SweepEvents,
            new SweepRecord { Time = clock.GetUtcNow(), Host = "h", Lock = prune.Info.Id }, Ct);
        clock.Advance(TimeSpan.FromMilliseconds(1200));
        await using var backupLock = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        Assert.True(backupLock.CleanupRunningAtStart);
        // The sweep deletes a chunk the backup has just written again, then ends before the backup commits.
        await repository.DeleteObjectAsync(RepositoryLayout.ChunkName(chunks.First()), Ct);
        await prune.DisposeAsync();

        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.CheckChunksAfterCleanupAsync(backupLock, chunks, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1), Ct));
        Assert.Contains("removed 1 chunk(s)", error.Message);
    }

    [Fact]
    public async Task ARunningCleanup_IsWaitedFor_ThenTheChunksAreChecked()
    {
        using var dir = new TempDirectory();
        var (repository, chunks) = await WithChunksAsync(dir);
        await using var _ = repository;
        await using var backupLock = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        var prune = await repository.LockAsync(LockMode.Prune, "cleanup", Ct);
        var victim = chunks.First();
        var cleanup = Task.Run(async () =>
        {
            await Task.Delay(1000, Ct);
            await repository.DeleteObjectAsync(RepositoryLayout.ChunkName(victim), Ct);
            await prune.DisposeAsync();
        }, Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.CheckChunksAfterCleanupAsync(backupLock, chunks, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), Ct));
        await cleanup;
        Assert.Contains("removed 1 chunk(s)", error.Message);
    }

    [Fact]
    public async Task ACleanupThatNeverEnds_IsNotWaitedForForever()
    {
        using var dir = new TempDirectory();
        var (repository, chunks) = await WithChunksAsync(dir);
        await using var _ = repository;
        await using var backupLock = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        await using var prune = await repository.LockAsync(LockMode.Prune, "cleanup", Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.CheckChunksAfterCleanupAsync(backupLock, chunks, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1), Ct));
        Assert.Equal(ErrorKind.RepositoryLocked, error.Kind);
        Assert.Contains("not committed", error.Message);
    }
}
