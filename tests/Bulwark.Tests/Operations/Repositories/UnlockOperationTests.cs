using Bulwark.Operations.Logging;
using Bulwark.Operations.Repositories;
using Bulwark.Repository.Locking;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Repositories;

public sealed class UnlockOperationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Unlock_RemovesStaleLocks_KeepsActiveOnes_AndIsRecordedInTheOperationsLog()
    {
        var context = TestConfig.Context(_dir, null);
        await new InitOperation(context).RunAsync(null, _dir.Path, Ct);
        await using var repository = await context.OpenRepositoryAsync(Ct);
        await using var held = await repository.LockAsync(LockMode.Shared, "backup", Ct);
        var garbage = Path.Combine(_dir.Combine("repo"), "locks", "0123456789abcdef0123456789abcdef");
        await File.WriteAllBytesAsync(garbage, [0x01, 0xff, 0x00, 0x42], Ct);
        // A lock object that does not read and that nothing wrote for two hours: stale (a fresh one may be a put under way).
        File.SetLastWriteTimeUtc(garbage, DateTime.UtcNow.AddHours(-2));

        var result = await new UnlockOperation(context).RunAsync(all: false, Ct);

        Assert.Equal("0123456789abcdef0123456789abcdef", Assert.Single(result.Removed).Id);
        Assert.Equal(held.Info.Id, Assert.Single(result.Remaining).Id);
        Assert.False(File.Exists(garbage));
        var record = context.Log.Read()[^1];
        Assert.Equal("unlock", record.Operation);
        Assert.Equal(OperationLog.Ok, record.Outcome);
        Assert.Equal(repository.Config.Id, record.RepositoryId);
        Assert.Equal("1", record.Details!["removed"]);
        Assert.Equal("1", record.Details["remaining"]);
    }

    [Fact]
    public async Task Unlock_WithoutARepository_IsRecordedAsFailed()
    {
        var context = TestConfig.Context(_dir, null);

        await Assert.ThrowsAsync<BulwarkException>(() => new UnlockOperation(context).RunAsync(all: true, Ct));

        var record = Assert.Single(context.Log.Read());
        Assert.Equal("unlock", record.Operation);
        Assert.Equal(OperationLog.Failed, record.Outcome);
        Assert.NotNull(record.ErrorKind);
    }
}
