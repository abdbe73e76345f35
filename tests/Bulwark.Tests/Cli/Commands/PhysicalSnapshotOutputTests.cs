using System.Text.Json;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Wal;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>
/// What the program prints about base backups and the WAL archive: how a base backup is named in status and check,
/// and what cleanup --dry-run says it would free when only WAL would go.
/// </summary>
public sealed class PhysicalSnapshotOutputTests : IDisposable
{
    private const long SegmentSize = 1 << 20;
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static WalFileName Seg(ulong number) => WalFileName.ForSegmentNumber(1, number, SegmentSize);

    /// <summary>
    /// Segments 1 to 6 archived and one base backup that starts in segment 3 (an archive switched on before the first
    /// base backup): segments 1 and 2 are needed by no base backup. Returns their stored size.
    /// </summary>
    private async Task<long> ArchiveWithOneBaseBackupAsync()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var now = DateTimeOffset.UtcNow;
        for (ulong n = 1; n <= 6; n++)
        {
            var content = new byte[SegmentSize];
            content[0] = (byte)n;
            content[1] = 0xD1;
            await repo.Repository.Wal.PutAsync(Seg(n), content, Ct);
        }
        await repo.AddSnapshotAsync([1], now - TimeSpan.FromHours(1), "cluster", physical: new PhysicalBackupInfo
        {
            StartLsn = $"0/{3 * SegmentSize + 0x28:X}",
            StopLsn = $"0/{3 * SegmentSize + 0x1000:X}",
            Timeline = 1,
            StartWalFile = Seg(3).Name,
            SystemIdentifier = "7300000000000000001",
            ServerVersionNumber = 170000,
            StartTime = now - TimeSpan.FromHours(1),
            StopTime = now - TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1),
            WalSegmentSize = SegmentSize,
            BackupLabel = "",
            WalIncluded = "none",
            Files = [],
        });
        long unneeded = 0;
        await foreach (var file in repo.Repository.Wal.ListAsync(cancellationToken: Ct))
        {
            if (string.CompareOrdinal(file.File.Name, Seg(3).Name) < 0)
                unneeded += file.StoredSize;
        }
        await repo.Repository.DisposeAsync();
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            "repository: ./repo\nstate: ./state\ncleanup:\n  grace-period: 0s\n  clock-skew: 1s\nretention:\n  keep-last: 5\n" +
            "check:\n  disk-free-warning: off\n  disk-free-critical: off\n", Ct);
        return unneeded;
    }

    [Fact]
    public async Task CleanupDryRun_CountsTheWalItWouldRemove_InTheBytesItWouldFree()
    {
        var unneeded = await ArchiveWithOneBaseBackupAsync();
        Assert.True(unneeded > 0);
        var cli = new CliRunner(_directory.Path);

        var text = await cli.RunAsync("cleanup", "--dry-run");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains("wal: 2 file(s) no kept base backup needs to remove", text.Stdout);
        var freed = text.Stdout.Split('\n').Single(l => l.StartsWith("would free: ", StringComparison.Ordinal));
        Assert.DoesNotContain("would free: 0 B", freed);
        Assert.Contains("of WAL", freed);

        var json = await cli.RunAsync("cleanup", "--dry-run", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.Equal(unneeded, document.RootElement.GetProperty("bytesFreed").GetInt64());
        Assert.Equal(2, document.RootElement.GetProperty("wal").GetProperty("files").GetInt32());

        // Nothing went: the real cleanup then frees what the dry run said.
        var cleanup = await cli.RunAsync("cleanup", "--json");
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
        using var done = JsonDocument.Parse(cleanup.Stdout);
        Assert.Equal(unneeded, done.RootElement.GetProperty("bytesFreed").GetInt64());
    }

    [Fact]
    public async Task StatusAndCheck_NameBaseBackupsAsPhysical_InSingleParentheses()
    {
        await ArchiveWithOneBaseBackupAsync();
        var cli = new CliRunner(_directory.Path);

        var status = await cli.RunAsync("status");
        Assert.True(status.ExitCode == 0, status.ToString());
        Assert.Contains("1 snapshots (physical 1)", status.Stdout);
        Assert.DoesNotContain("((", status.Stdout);

        var check = await cli.RunAsync("check");
        Assert.Contains("ago (physical)", check.Stdout);
        Assert.DoesNotContain("((", check.Stdout);

        var json = JsonDocument.Parse((await cli.RunAsync("status", "--json")).Stdout).RootElement;
        Assert.Equal(1, json.GetProperty("databases").GetProperty("physical").GetInt32());
    }
}
