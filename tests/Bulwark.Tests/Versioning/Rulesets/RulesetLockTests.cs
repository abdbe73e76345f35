using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Bulwark.Versioning.Rulesets;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Versioning.Rulesets;

public sealed class RulesetLockTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private Task<BackupRepository> NewRepositoryAsync(TimeProvider? time = null) =>
        BackupRepository.InitAsync(new LocalBackend(_directory.Combine("repo")), new RepositoryOpenOptions { Time = time ?? TimeProvider.System },
            cancellationToken: Ct);

    private static Task<RepositoryLock> LockAsync(BackupRepository repository, string ruleset, string action = "activate") =>
        RulesetLock.AcquireAsync(repository, ruleset, action, TimeSpan.Zero, Ct);

    private static Task PutAsync(BackupRepository repository, LockInfo info) =>
        repository.WriteObjectAsync(RepositoryLock.ObjectName(info.Id), RepositoryJson.Serialize(info), Ct);

    [Fact]
    public async Task SecondChangeOfTheSameRuleset_IsRefused_NamingTheHolder_AndLeavesNoLockBehind()
    {
        await using var repository = await NewRepositoryAsync();
        await using (await LockAsync(repository, "prod-rules"))
        {
            var e = await Assert.ThrowsAsync<BulwarkException>(() => LockAsync(repository, "prod-rules", "create"));
            Assert.Equal(ErrorKind.RepositoryLocked, e.Kind);
            Assert.Contains($"ruleset 'prod-rules' is being changed by another process: ruleset activate prod-rules (shared) by process {Environment.ProcessId}",
                e.Message);
            Assert.Single(await RepositoryLock.ListAsync(repository, Ct));
        }
        await using (await LockAsync(repository, "prod-rules", "create"))
        {
        }
        Assert.Empty(await RepositoryLock.ListAsync(repository, Ct));
    }

    [Fact]
    public async Task ChangesOfOtherRulesets_AndBackups_DoNotBlock_AnExclusiveLockDoes()
    {
        await using var repository = await NewRepositoryAsync();
        await using (await LockAsync(repository, "a"))
        await using (await repository.LockAsync(LockMode.Shared, "backup", Ct))
        await using (await LockAsync(repository, "b"))
        {
            Assert.Equal(3, (await RepositoryLock.ListAsync(repository, Ct)).Count);
        }
        await using (await repository.LockAsync(LockMode.Exclusive, "key-remove", Ct))
        {
            var e = await Assert.ThrowsAsync<BulwarkException>(() => LockAsync(repository, "a"));
            Assert.Equal(ErrorKind.RepositoryLocked, e.Kind);
            Assert.Contains("key-remove (exclusive)", e.Message);
        }
    }

    [Fact]
    public async Task LockOfAKilledChange_OnThisHost_DoesNotBlockTheNext_AndIsRemoved()
    {
        await using var repository = await NewRepositoryAsync();
        var now = DateTimeOffset.UtcNow;
        await PutAsync(repository, new LockInfo
        {
            Id = "deadbeef", Mode = LockMode.Shared, Operation = RulesetLock.Operation("activate", "prod-rules"),
            Host = repository.Options.HostName, ProcessId = 999_999_999, Created = now, Refreshed = now,
        });
        await using (await LockAsync(repository, "prod-rules"))
        {
        }
        Assert.Empty(await RepositoryLock.ListAsync(repository, Ct));
    }

    [Fact]
    public async Task LockOfAChangeOnAnotherHost_BlocksUntilItIsStale()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var repository = await NewRepositoryAsync(clock);
        await PutAsync(repository, new LockInfo
        {
            Id = "0ther", Mode = LockMode.Shared, Operation = RulesetLock.Operation("rollback", "prod-rules"),
            Host = "other-host", ProcessId = 1, Created = clock.GetUtcNow(), Refreshed = clock.GetUtcNow(),
        });
        var e = await Assert.ThrowsAsync<BulwarkException>(() => LockAsync(repository, "prod-rules"));
        Assert.Contains("ruleset rollback prod-rules (shared) by process 1 on other-host", e.Message);
        clock.Advance(RepositoryLock.StaleAfter + TimeSpan.FromMinutes(1));
        await using (await LockAsync(repository, "prod-rules"))
        {
        }
    }

    [Theory]
    [InlineData("ruleset activate prod-rules", "prod-rules")]
    [InlineData("ruleset create a.b_c", "a.b_c")]
    [InlineData("ruleset create", null)]
    [InlineData("backup", null)]
    [InlineData("rulesets activate x", null)]
    public void RulesetOf_ReadsTheRulesetFromTheOperation(string operation, string? ruleset) =>
        Assert.Equal(ruleset, RulesetLock.RulesetOf(operation));
}
