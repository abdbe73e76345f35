using System.Text;
using Bulwark.Operations.Retention;
using Bulwark.Operations.Wal;
using Bulwark.Repository;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Wal;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Wal;

/// <summary>
/// What the archive's state says: gaps along the timeline history (check, verify), the WAL kept base backups need
/// (cleanup), and the PITR window. Segments are 1 MiB, PostgreSQL's smallest wal_segment_size.
/// </summary>
public sealed class WalArchiveStateTests : IDisposable
{
    private const long SegmentSize = 1 << 20;
    private readonly TempDirectory _directory = new("bulwark-walstate");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private static string Seg(uint timeline, ulong number) => WalFileName.ForSegmentNumber(timeline, number, SegmentSize).Name;

    private static async Task PushAsync(BackupRepository repository, string name, byte[]? content = null)
    {
        var file = WalFileName.Parse(name);
        content ??= new byte[SegmentSize];
        if (file.Kind == WalFileKind.Segment)
            content[0] = (byte)file.Segment;
        await repository.Wal.PutAsync(file, content, Ct);
    }

    private static async Task PushHistoryAsync(BackupRepository repository, uint timeline, string lines) =>
        await repository.Wal.PutAsync(WalFileName.Parse($"{timeline:X8}.history"), Encoding.ASCII.GetBytes(lines), Ct);

    private static PhysicalBackupInfo Physical(uint timeline, ulong startSegment, DateTimeOffset stop) => new()
    {
        StartLsn = WalTimelineHistory.FormatLsn(startSegment * SegmentSize + 0x28),
        StopLsn = WalTimelineHistory.FormatLsn(startSegment * SegmentSize + 0x1000),
        Timeline = (int)timeline,
        StartWalFile = Seg(timeline, startSegment),
        SystemIdentifier = "7300000000000000001",
        ServerVersionNumber = 170000,
        StartTime = stop - TimeSpan.FromMinutes(1),
        StopTime = stop,
        WalSegmentSize = SegmentSize,
        BackupLabel = "",
        WalIncluded = "none",
        Files = [],
    };

    [Fact]
    public async Task Gaps_AreFoundFromTheOldestSegment_WhenThereIsNoBaseBackup()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        foreach (var n in new ulong[] { 1, 2, 3, 5, 6, 9 })
            await PushAsync(repo.Repository, Seg(1, n));

        var wal = await WalInventory.LoadAsync(repo.Repository, Ct);

        Assert.Equal(SegmentSize, wal.SegmentSize);
        Assert.Equal(["000000010000000000000004", "000000010000000000000007…000000010000000000000008 (2 segments)"],
            wal.Gaps(wal.OldestStart()!.Value).Select(g => g.ToString()));
    }

    [Fact]
    public async Task Recovery_FollowsTheHistoryFile_OntoTheNewTimeline()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        foreach (var n in new ulong[] { 1, 2, 3 })
            await PushAsync(repo.Repository, Seg(1, n));
        await PushAsync(repo.Repository, Seg(1, 4) + ".partial");
        // Timeline 2 branched off timeline 1 in segment 4.
        await PushHistoryAsync(repo.Repository, 2, "1\t0/480000\tno recovery target specified\n");
        foreach (var n in new ulong[] { 4, 6 })
            await PushAsync(repo.Repository, Seg(2, n));

        var wal = await WalInventory.LoadAsync(repo.Repository, Ct);
        var start = new WalStart(1, 1 * SegmentSize + 0x28);

        Assert.Equal([Seg(1, 1), Seg(1, 2), Seg(1, 3), Seg(2, 4), Seg(2, 5), Seg(2, 6)], wal.Needed(start).Select(n => n.Name));
        Assert.Equal([Seg(2, 5)], wal.Gaps(start).Select(g => g.First));
    }

    [Fact]
    public async Task Check_AndVerify_ReportAGap_AndAreQuietWithoutWal()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        await repo.AddSnapshotAsync([1, 2], DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), """
            repository: ./repo
            state: ./state
            check:
              disk-free-warning: off
              disk-free-critical: off
            """, Ct);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cli = new CliRunner(_directory.Path);

        var quiet = await cli.RunAsync("check", "--json");
        Assert.DoesNotContain("wal-", quiet.Stdout);

        foreach (var n in new ulong[] { 1, 2, 4 })
            await PushAsync(repo.Repository, Seg(1, n));
        var check = await cli.RunAsync("check");
        var verify = await cli.RunAsync("verify");

        Assert.True(check.ExitCode == 2, check.ToString());
        Assert.Contains("wal-gaps", check.Stdout);
        Assert.Contains("000000010000000000000003", check.Stdout);
        Assert.True(verify.ExitCode == 10, verify.ToString());
        Assert.Contains("000000010000000000000003", verify.Stdout + verify.Stderr);

        await PushAsync(repo.Repository, Seg(1, 3));
        var healed = await cli.RunAsync("verify");
        Assert.True(healed.ExitCode == 0, healed.ToString());
    }

    [Fact]
    public async Task Cleanup_KeepsExactlyTheWalThatKeptBaseBackupsNeed()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var now = DateTimeOffset.UtcNow;
        for (ulong n = 1; n <= 8; n++)
            await PushAsync(repo.Repository, Seg(1, n));
        await PushAsync(repo.Repository, Seg(1, 3) + ".00000028.backup", Encoding.ASCII.GetBytes("START WAL LOCATION: 0/300028\n"));
        await PushHistoryAsync(repo.Repository, 2, "1\t0/780000\tno recovery target specified\n");
        await PushAsync(repo.Repository, Seg(2, 7));
        await repo.AddSnapshotAsync([1], now - TimeSpan.FromHours(2), "cluster", physical: Physical(1, 3, now - TimeSpan.FromHours(2)));
        await repo.AddSnapshotAsync([2], now - TimeSpan.FromHours(1), "cluster", physical: Physical(1, 5, now - TimeSpan.FromHours(1)));
        var context = TestConfig.Context(_directory, null);

        var first = await new CleanupOperation(context).RunAsync(false, null, Ct, new RetentionPolicy { KeepLast = 2 });

        Assert.Equal(2, first.Wal!.Files);
        Assert.Equal(
            [Seg(1, 3), Seg(1, 3) + ".00000028.backup", Seg(1, 4), Seg(1, 5), Seg(1, 6), Seg(1, 7), Seg(1, 8), "00000002.history", Seg(2, 7)],
            await NamesAsync(repo.Repository));

        var second = await new CleanupOperation(context).RunAsync(false, null, Ct, new RetentionPolicy { KeepLast = 1 });

        Assert.Equal(3, second.Wal!.Files);
        Assert.Equal([Seg(1, 5), Seg(1, 6), Seg(1, 7), Seg(1, 8), "00000002.history", Seg(2, 7)], await NamesAsync(repo.Repository));
        var wal = await WalInventory.LoadAsync(repo.Repository, Ct);
        Assert.Empty(wal.Gaps(new WalStart(1, 5 * SegmentSize)));
    }

    [Fact]
    public async Task Cleanup_RemovesNoWal_WithoutABaseBackup()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        await repo.AddSnapshotAsync([1], DateTimeOffset.UtcNow);
        for (ulong n = 1; n <= 3; n++)
            await PushAsync(repo.Repository, Seg(1, n));

        var result = await new CleanupOperation(TestConfig.Context(_directory, null)).RunAsync(false, null, Ct, new RetentionPolicy { KeepLast = 1 });

        Assert.Equal(0, result.Wal!.Files);
        Assert.NotNull(result.Wal.Skipped);
        Assert.Equal(3, (await NamesAsync(repo.Repository)).Count);
    }

    [Fact]
    public async Task PitrWindow_RunsFromTheOldestUnbrokenBaseBackupsStop_ToTheNewestSegment()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var now = DateTimeOffset.UtcNow;
        foreach (var n in new ulong[] { 2, 4, 5, 6 })
            await PushAsync(repo.Repository, Seg(1, n));
        var older = await repo.AddSnapshotAsync([1], now - TimeSpan.FromHours(2), "cluster", physical: Physical(1, 2, now - TimeSpan.FromHours(3)));
        var newer = await repo.AddSnapshotAsync([2], now - TimeSpan.FromHours(1), "cluster", physical: Physical(1, 4, now - TimeSpan.FromHours(2)));
        var summaries = new[] { older, newer }.Select(Bulwark.Operations.Catalog.SnapshotSummary.From).ToList();

        var window = (await WalInventory.LoadAsync(repo.Repository, Ct)).Window(summaries);

        // The older base backup needs segment 3, which is missing: the window starts at the newer one.
        Assert.NotNull(window);
        Assert.Equal(newer.ShortId, window.BaseBackup);
        Assert.Equal(now - TimeSpan.FromHours(2), window.Earliest);
        Assert.Equal(Seg(1, 6), window.NewestSegment);
    }

    [Fact]
    public async Task PitrWindow_CountsASegmentArchivedInTheSecondTheBackupStopped_ThoughTheStoreKeepsWholeSeconds()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        await PushAsync(repo.Repository, Seg(1, 2));
        var archived = (await repo.Repository.Wal.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Single().Archived;
        // As an S3 listing shows it: the archive time truncated, so it reads earlier than the stop by a fraction.
        var stop = archived + TimeSpan.FromMilliseconds(600);
        var snapshot = await repo.AddSnapshotAsync([1], stop - TimeSpan.FromSeconds(5), "cluster", physical: Physical(1, 2, stop));

        var window = (await WalInventory.LoadAsync(repo.Repository, Ct)).Window([Bulwark.Operations.Catalog.SnapshotSummary.From(snapshot)]);

        Assert.NotNull(window);
        Assert.Equal(stop, window.Earliest);
        Assert.Equal(stop, window.Latest);

        // A newest segment archived well before the stop is not WAL after the backup: no window.
        var later = await repo.AddSnapshotAsync([2], stop, "cluster", physical: Physical(1, 2, archived + TimeSpan.FromSeconds(3)));
        Assert.Null((await WalInventory.LoadAsync(repo.Repository, Ct)).Window([Bulwark.Operations.Catalog.SnapshotSummary.From(later)]));
    }

    private static async Task<List<string>> NamesAsync(BackupRepository repository) =>
        (await repository.Wal.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).Select(f => f.File.Name).Order(StringComparer.Ordinal).ToList();
}
