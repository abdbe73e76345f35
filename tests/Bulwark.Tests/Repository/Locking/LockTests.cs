using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Repository.Locking;

public sealed class LockTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SharedLocks_Coexist_ExclusiveConflicts_PruneExcludesPrune()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        await using var a = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        await using var b = await repository.LockAsync(LockMode.Shared, "restore", Ct);
        await using (await repository.LockAsync(LockMode.Prune, "cleanup", Ct))
        {
            var prune = await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Prune, "cleanup", Ct));
            Assert.Equal(ErrorKind.RepositoryLocked, prune.Kind);
        }
        var exclusive = await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Exclusive, "x", Ct));
        Assert.Matches("locked: (backup|restore) \\(shared\\)", exclusive.Message);
        // A refused lock leaves no lock object behind.
        Assert.Equal(2, (await RepositoryLock.ListAsync(repository, Ct)).Count);
    }

    [Fact]
    public async Task ScopedLocks_ConflictWithTheirOwnScopeOnly_AndLeaveCleanupAlone()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        await using var app = await repository.LockAsync(LockMode.Shared, "backup of app", Ct, "backup:app");
        await using var crm = await repository.LockAsync(LockMode.Shared, "backup of crm", Ct, "backup:crm");
        await using var unscoped = await repository.LockAsync(LockMode.Shared, "restore", Ct);
        var second = await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Shared, "backup of app", Ct, "backup:app"));
        Assert.Equal(ErrorKind.RepositoryLocked, second.Kind);
        Assert.Contains("'backup:app' is already running", second.Message);
        Assert.Contains("backup of app (shared)", second.Message);
        await using (await repository.LockAsync(LockMode.Prune, "cleanup", Ct))
        {
        }
        Assert.Equal("backup:app", (await RepositoryLock.ListAsync(repository, Ct)).Single(l => l.Info.Id == app.Info.Id).Info.Scope);
        Assert.Equal(3, (await RepositoryLock.ListAsync(repository, Ct)).Count);
    }

    [Fact]
    public async Task LockOfADeadLocalProcess_IsStale_AndRemovedWhenSomeoneLocks()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        var now = DateTimeOffset.UtcNow;
        var dead = new LockInfo
        {
            Id = "deadbeef", Mode = LockMode.Exclusive, Operation = "backup", Host = repository.Options.HostName,
            ProcessId = 999_999_999, Created = now, Refreshed = now,
        };
        await repository.WriteObjectAsync(RepositoryLock.ObjectName(dead.Id), RepositoryJson.Serialize(dead), Ct);
        var status = Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.True(status.Stale);
        Assert.True(status.ProcessGone);
        await using (await repository.LockAsync(LockMode.Exclusive, "mine", Ct))
        {
        }
        Assert.Empty(await RepositoryLock.ListAsync(repository, Ct));
    }

    [Fact]
    public async Task LockNotRefreshedFor30Minutes_IsStale_EvenFromAnotherHost()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var repository = await WithClockAsync(dir, clock);
        var other = new LockInfo
        {
            Id = "0ther", Mode = LockMode.Exclusive, Operation = "cleanup", Host = "other-host", ProcessId = 1,
            Created = clock.GetUtcNow(), Refreshed = clock.GetUtcNow(),
        };
        await repository.WriteObjectAsync(RepositoryLock.ObjectName(other.Id), RepositoryJson.Serialize(other), Ct);
        await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Shared, "backup", Ct));
        clock.Advance(TimeSpan.FromMinutes(31));
        await using (await repository.LockAsync(LockMode.Shared, "backup", Ct))
        {
        }
        // Another host's stale lock is reported, not removed, until 'unlock' says so.
        var status = Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.True(status.Stale);
        Assert.False(status.ProcessGone);
        Assert.Single(await RepositoryLock.RemoveAsync(repository, all: false, Ct));
    }

    [Fact]
    public async Task HeldLocks_AreRefreshed()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var repository = await WithClockAsync(dir, clock);
        await using var held = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        for (var i = 0; i < 12; i++)
        {
            clock.Advance(RepositoryLock.RefreshInterval);
            await Task.Delay(20, Ct);
        }
        var deadline = DateTime.UtcNow.AddSeconds(10);
        LockStatus status;
        do
        {
            status = Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
            if (!status.Stale)
                break;
            await Task.Delay(50, Ct);
        } while (DateTime.UtcNow < deadline);
        Assert.False(status.Stale);
        Assert.True(status.Info.Refreshed > status.Info.Created.AddMinutes(30));
    }

    [Fact]
    public async Task LockRefreshedOnTime_IsTrusted_AfterAPauseItIsLostForGood()
    {
        using var dir = new TempDirectory();
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var repository = await WithClockAsync(dir, clock);
        await using var held = await repository.LockAsync(LockMode.Prune, "cleanup", Ct);
        for (var i = 0; i < 8; i++)
        {
            clock.Advance(RepositoryLock.RefreshInterval);
            await WaitRefreshedAsync(held, clock.GetUtcNow());
        }
        held.ThrowIfLost();
        await held.EnsureHeldAsync(Ct);

        // Paused for 25 minutes: by another host's clock the lock may already have looked stale.
        clock.Advance(TimeSpan.FromMinutes(25));
        var lost = Assert.Throws<BulwarkException>(held.ThrowIfLost);
        Assert.Contains("cleanup's lock on the repository was not refreshed for 25 minutes", lost.Message);
        // Refreshed again after the pause, it stays lost: what others did meanwhile cannot be undone.
        await WaitRefreshedAsync(held, clock.GetUtcNow());
        Assert.Throws<BulwarkException>(held.ThrowIfLost);
    }

    [Fact]
    public async Task LockRemovedByUnlock_IsLost()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        await using var held = await repository.LockAsync(LockMode.Prune, "cleanup", Ct);
        await held.EnsureHeldAsync(Ct);
        Assert.Single(await RepositoryLock.RemoveAsync(repository, all: true, Ct));
        var lost = await Assert.ThrowsAsync<BulwarkException>(() => held.EnsureHeldAsync(Ct));
        Assert.Contains("was removed", lost.Message);
        Assert.Throws<BulwarkException>(held.ThrowIfLost);
    }

    [Fact]
    public async Task FreshUnreadableLockObject_CountsAsShared_BlocksOnlyExclusive_AndOnlyUnlockAllRemovesIt()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        // Written just now: it may be a lock whose put is still under way.
        await PlantGarbageLockAsync(dir);
        var status = Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.False(status.Stale);
        Assert.False(status.ProcessGone);
        Assert.Equal(LockMode.Shared, status.Info.Mode);
        Assert.Equal("garbage", status.Info.Id);
        Assert.StartsWith("unreadable lock object locks/garbage", status.Info.Describe());
        Assert.NotNull(status.Info.Damage);

        var exclusive = await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Exclusive, "x", Ct));
        Assert.Equal(ErrorKind.RepositoryLocked, exclusive.Kind);
        Assert.Contains("is locked: unreadable lock object locks/garbage", exclusive.Message);
        Assert.Contains("'bulwark unlock --all'", exclusive.Advice);
        await using (await repository.LockAsync(LockMode.Shared, "backup", Ct))
        {
        }
        await using (await repository.LockAsync(LockMode.Prune, "cleanup", Ct))
        {
        }
        Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.Empty(await RepositoryLock.RemoveAsync(repository, all: false, Ct));
        var removed = Assert.Single(await RepositoryLock.RemoveAsync(repository, all: true, Ct));
        Assert.Equal("garbage", removed.Id);
        Assert.Empty(await RepositoryLock.ListAsync(repository, Ct));
    }

    [Fact]
    public async Task UnreadableLockObject_NotWrittenFor30Minutes_IsStale_AndTheNextLockRemovesIt_WithAWarning()
    {
        using var dir = new TempDirectory();
        // The local backend dates objects by their file's time, so the fake clock starts at the real one.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var warnings = new List<string>();
        await using var repository = await BackupRepository.InitAsync(new LocalBackend(dir.Combine("repo")),
            new RepositoryOpenOptions { Time = clock, Warning = warnings.Add }, cancellationToken: Ct);
        await PlantGarbageLockAsync(dir);

        clock.Advance(TimeSpan.FromMinutes(29));
        Assert.False(Assert.Single(await RepositoryLock.ListAsync(repository, Ct)).Stale);
        await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Exclusive, "x", Ct));
        Assert.Empty(warnings);

        clock.Advance(TimeSpan.FromMinutes(2));
        var status = Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.True(status.Stale);
        Assert.False(status.ProcessGone);
        await using (await repository.LockAsync(LockMode.Shared, "backup", Ct))
        {
            Assert.Single(await RepositoryLock.ListAsync(repository, Ct)); // the backup's own
        }
        Assert.Empty(await RepositoryLock.ListAsync(repository, Ct));
        var warning = Assert.Single(warnings);
        Assert.StartsWith("removed unreadable lock object locks/garbage", warning);
        Assert.EndsWith("nothing wrote it for 30 minutes", warning);
    }

    /// <summary>A new local repository whose locks read <paramref name="clock"/>.</summary>
    /// <summary>A lock object that does not decode, put beside the repository's own objects.</summary>
    private static async Task PlantGarbageLockAsync(TempDirectory dir)
    {
        await using var backend = new LocalBackend(dir.Combine("repo"));
        await backend.PutAsync(RepositoryLock.ObjectName("garbage"), new byte[] { 0x01, 0xff, 0x00, 0x42 }, Ct);
    }

    private static Task<BackupRepository> WithClockAsync(TempDirectory dir, FakeTimeProvider clock) =>
        BackupRepository.InitAsync(new LocalBackend(dir.Combine("repo")),
            new RepositoryOpenOptions { Time = clock }, cancellationToken: Ct);

    private static async Task WaitRefreshedAsync(RepositoryLock held, DateTimeOffset time)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (held.Info.Refreshed < time && DateTime.UtcNow < deadline)
            await Task.Delay(10, Ct);
        Assert.Equal(time, held.Info.Refreshed);
    }
}
