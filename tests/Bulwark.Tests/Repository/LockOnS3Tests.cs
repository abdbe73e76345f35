using System.Net.Sockets;
using System.Text;
using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Repository;

/// <summary>
/// Locks on the S3 server the tests start (s3rver). Unlike S3, s3rver writes a put's body straight into the object's
/// file and keeps what a put cut off midway wrote, for good: a process killed while it puts its lock leaves a lock
/// object that does not read (the crash harness met one after a killed 'restore --files-to').
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
        var whole = repository.Codec.Pack(RepositoryJson.Serialize(killed));
        await PutCutOffAsync(location, RepositoryLock.ObjectName(killed.Id), whole, bodyBytesSent, repository);

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
    /// Sends a put of <paramref name="data"/> that stops after <paramref name="sent"/> bytes and closes the
    /// connection, as a killed client does, once the server shows those bytes under the object's name.
    /// </summary>
    private async Task PutCutOffAsync(string location, string name, byte[] data, int sent, BackupRepository repository)
    {
        var endpoint = new Uri(s3.Endpoint);
        var key = $"{location["s3://".Length..]}/{name}"; // bucket/prefix/name, path-style
        using var client = new TcpClient();
        await client.ConnectAsync(endpoint.Host, endpoint.Port, Ct);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"PUT /{key} HTTP/1.1\r\nHost: {endpoint.Authority}\r\nContent-Type: application/octet-stream\r\nContent-Length: {data.Length}\r\n\r\n"), Ct);
        await stream.WriteAsync(data.AsMemory(0, sent), Ct);
        await stream.FlushAsync(Ct);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await repository.Backend.StatAsync(name, Ct))?.Size != sent)
        {
            Assert.True(DateTime.UtcNow < deadline, $"s3rver did not show the first {sent} bytes of the put under {name}");
            await Task.Delay(20, Ct);
        }
        client.Close();
    }
}
