using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Storage;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Repository.Locking;

/// <summary>
/// Locks on the S3 server the tests start (s3rver). Unlike S3, a plain s3rver writes a put's body straight into the
/// object's file and keeps what a put cut off midway wrote, for good: a process killed while it puts its lock leaves a
/// lock object that does not read (the crash harness met one after a killed 'restore --files-to').
/// </summary>
[Collection(S3ServerFixture.Collection)]
public sealed class LockOnS3Tests(S3ServerFixture s3)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(0)] // the SDK writes a put's headers, then its body: a kill between the two
    [InlineData(60)]
    public async Task LockWhosePutWasCutOff_BlocksExclusiveWhileFresh_AndTheNextLockRemovesItOnceOld(int bodyBytesSent)
    {
        var location = s3.NewLocation("lock");
        // s3rver dates objects by their file's time, so the fake clock starts at the real one.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var warnings = new List<string>();
        await using var repository = await BackupRepository.InitAsync(await s3.OpenAsync(location),
            new RepositoryOpenOptions { Time = clock, Warning = warnings.Add }, cancellationToken: Ct);
        var now = clock.GetUtcNow();
        var killed = new LockInfo
        {
            Id = "5ca1ab1e", Mode = LockMode.Shared, Operation = "restore", Host = repository.Options.HostName,
            ProcessId = 999_999_999, Created = now, Refreshed = now,
        };
        var whole = repository.Pack(RepositoryJson.Serialize(killed));
        await using (var store = await s3.OpenAsync(location))
            await PutCutOffAsync(RepositoryLock.ObjectName(killed.Id), whole, bodyBytesSent, store);

        var status = Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.Equal(killed.Id, status.Info.Id);
        Assert.NotNull(status.Info.Damage);
        Assert.False(status.Stale); // its holder, whoever it is, cannot be told dead
        var exclusive = await Assert.ThrowsAsync<BulwarkException>(() => repository.LockAsync(LockMode.Exclusive, "key-remove", Ct));
        Assert.Equal(ErrorKind.RepositoryLocked, exclusive.Kind);
        await using (await repository.LockAsync(LockMode.Shared, "verify", Ct))
        {
        }
        Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        Assert.Empty(warnings);

        clock.Advance(RepositoryLock.StaleAfter + TimeSpan.FromMinutes(1));
        await using (await repository.LockAsync(LockMode.Prune, "cleanup", Ct))
        {
        }
        Assert.Empty(await RepositoryLock.ListAsync(repository, Ct));
        Assert.StartsWith($"removed unreadable lock object locks/{killed.Id}", Assert.Single(warnings));
    }

    /// <summary>
    /// Leaves under <paramref name="name"/> the first <paramref name="sent"/> bytes of <paramref name="data"/>: what a
    /// store that keeps a put cut off midway shows after the client was killed (s3rver did, before the tests made its
    /// puts atomic; see tools/node/s3rver-atomic-put.js).
    /// </summary>
    private static async Task PutCutOffAsync(string name, byte[] data, int sent, IStorageBackend store)
    {
        await store.PutAsync(name, data.AsMemory(0, sent), Ct);
        Assert.Equal(sent, (await store.StatAsync(name, Ct))?.Size);
    }
}
