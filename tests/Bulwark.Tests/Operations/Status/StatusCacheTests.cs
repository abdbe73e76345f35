using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Status;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Status;

/// <summary>The daemon's cached status on a fake clock, over a real encrypted repository and a real passphrase command.</summary>
public sealed class StatusCacheTests : FakeClockTest
{

    [Fact]
    public async Task ParallelRequests_ShareOneRefreshAndOneUnlock_AndARequestAfterTheLifetimeRefreshes()
    {
        var repo = await SyntheticRepository.CreateEncryptedAsync(_directory.Combine("repo"), "status secret", _time);
        await repo.AddSnapshotAsync(Enumerable.Range(0, 5), Now.AddHours(-1));
        await repo.Repository.DisposeAsync();
        var counter = _directory.Combine("unlocks");
        var config = new BulwarkConfig { Repository = _directory.Combine("repo"), State = _directory.Combine("state") };
        var context = new BulwarkContext(LoadedConfig.FromObject(config, _directory.Path,
            name => name == "BULWARK_PASSWORD_COMMAND" ? $"echo run >> {counter}; echo 'status secret'" : null), _time).KeepingKeys();
        var refreshes = 0;
        var cache = new StatusCache(ct =>
        {
            Interlocked.Increment(ref refreshes);
            return new StatusOperation(context).RunAsync(null, ct);
        }, _time);

        var first = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => cache.GetAsync(Ct), Ct)));
        Assert.Equal(1, refreshes);
        Assert.All(first, report => Assert.Same(first[0], report));
        Assert.Equal(1, first[0].Snapshots);
        Assert.Empty(first[0].Errors);

        _time.Advance(cache.Lifetime - TimeSpan.FromSeconds(1));
        Assert.Same(first[0], await cache.GetAsync(Ct));
        Assert.Equal(1, refreshes);

        _time.Advance(TimeSpan.FromSeconds(2));
        var second = await cache.GetAsync(Ct);
        Assert.NotSame(first[0], second);
        Assert.Equal(2, refreshes);
        Assert.Equal(Now + cache.Lifetime + TimeSpan.FromSeconds(1), second.Time);
        // The refresh (a repository opening, and a quick health check that opens it again) reused the kept key.
        Assert.Equal(["run"], await File.ReadAllLinesAsync(counter, Ct));
    }

    [Fact]
    public async Task AFailedRefresh_IsNotKept()
    {
        var calls = 0;
        var cache = new StatusCache(_ =>
        {
            if (Interlocked.Increment(ref calls) == 1)
                throw new IOException("the state folder is gone");
            return Task.FromResult(new StatusReport { Time = _time.GetUtcNow(), TimeZone = "UTC" });
        }, _time);
        await Assert.ThrowsAsync<IOException>(() => cache.GetAsync(Ct));
        var report = await cache.GetAsync(Ct);
        Assert.Equal(2, calls);
        Assert.Same(report, await cache.GetAsync(Ct));
    }
}
