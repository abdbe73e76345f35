using Bulwark.Operations.Restore;
using Bulwark.Repository.Snapshots;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Restore;

/// <summary>
/// How both restores resolve SNAPSHOT in a repository that holds dumps and base backups side by side: 'latest' is the
/// newest of the kind the restore writes, and a snapshot of the other kind is refused with the way to restore it.
/// </summary>
public sealed class RestoreSnapshotTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static PhysicalBackupInfo Physical(DateTimeOffset stop) => new()
    {
        StartLsn = "0/3000028",
        StopLsn = "0/3001000",
        Timeline = 1,
        StartWalFile = "000000010000000000000003",
        SystemIdentifier = "7300000000000000001",
        ServerVersionNumber = 170000,
        StartTime = stop - TimeSpan.FromMinutes(1),
        StopTime = stop,
        WalSegmentSize = 16 << 20,
        BackupLabel = "",
        WalIncluded = "none",
        Files = [],
    };

    [Fact]
    public async Task Latest_IsTheNewestOfTheKind_AndTheOtherKindIsRefusedWithTheWayToRestoreIt()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var now = DateTimeOffset.UtcNow;
        var dump = await repo.AddSnapshotAsync([1, 2], now - TimeSpan.FromHours(2));
        var baseBackup = await repo.AddSnapshotAsync([3], now - TimeSpan.FromHours(1), "cluster", physical: Physical(now - TimeSpan.FromHours(1)));
        await repo.Repository.DisposeAsync();
        var context = TestConfig.Context(_directory, null);

        // The base backup is newer, but 'latest' of a logical restore is the newest dump.
        var file = _directory.Combine("latest.dump");
        var written = await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = file }, null, Ct);
        Assert.Equal(dump.ShortId, written.Snapshot);
        Assert.Equal(dump.Manifest.TotalSize, new FileInfo(file).Length);

        var intoDatabase = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = baseBackup.ShortId, Target = "postgres://nobody@127.0.0.1:1/none" }, null, Ct));
        Assert.Equal(ErrorKind.Usage, intoDatabase.Kind);
        Assert.Contains($"snapshot {baseBackup.ShortId} is a base backup", intoDatabase.Message);
        Assert.Contains("--to-dir", intoDatabase.Advice);

        var intoFolder = await Assert.ThrowsAsync<BulwarkException>(() => new PhysicalRestoreOperation(context).RunAsync(
            new PhysicalRestoreRequest { Snapshot = dump.ShortId, Directory = _directory.Combine("data") }, null, Ct));
        Assert.Equal(ErrorKind.Usage, intoFolder.Kind);
        Assert.Contains($"snapshot {dump.ShortId} is a logical snapshot", intoFolder.Message);
        Assert.False(Directory.Exists(_directory.Combine("data")) && Directory.EnumerateFileSystemEntries(_directory.Combine("data")).Any());

        var timeline = await Assert.ThrowsAsync<BulwarkException>(() => new PhysicalRestoreOperation(context).RunAsync(
            new PhysicalRestoreRequest { Directory = _directory.Combine("data2"), Timeline = "newest" }, null, Ct));
        Assert.Equal(ErrorKind.Usage, timeline.Kind);
        Assert.Contains("'newest' is not a timeline", timeline.Message);
    }
}
