using System.Diagnostics;
using System.Text.Json;
using Bulwark.Repository;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Verification;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>The real bulwark program: output, exit codes, and kill -9 at random points.</summary>
public sealed class CleanupCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ITestOutputHelper _output;

    public CleanupCommandTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string RepositoryPath => _directory.Combine("repo");

    private CliRunner Cli(string retention = "")
    {
        File.WriteAllText(_directory.Combine("bulwark.yml"), $"""
            repository: {RepositoryPath}
            cleanup:
              grace-period: 0s
              clock-skew: 1s
            {retention}
            """);
        return new CliRunner(_directory.Path);
    }

    /// <summary>
    /// <paramref name="days"/> daily snapshots ending an hour ago; snapshot i references chunks [i*step, i*step+window).
    /// Returns them oldest first.
    /// </summary>
    private async Task<List<Snapshot>> DailySnapshotsAsync(int days, int step, int window, int orphans = 0, int daysAgo = 0)
    {
        var repo = await SyntheticRepository.CreateAsync(RepositoryPath);
        var end = DateTimeOffset.UtcNow.AddHours(-1).AddDays(-daysAgo);
        var snapshots = new List<Snapshot>();
        for (var i = 0; i < days; i++)
            snapshots.Add(await repo.AddSnapshotAsync(Enumerable.Range(i * step, window), end.AddDays(i - days + 1), fast: true));
        if (orphans > 0)
        {
            foreach (var n in Enumerable.Range(10_000_000, orphans))
            {
                var data = SyntheticRepository.ChunkData(n);
                var path = Path.Combine(RepositoryPath, RepositoryLayout.ChunkName(repo.Repository.ContentId(data)));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                await File.WriteAllBytesAsync(path, repo.Repository.Pack(data), Ct);
            }
        }
        repo.AgeAllChunks(DateTimeOffset.UtcNow.AddHours(-2));
        await repo.Repository.DisposeAsync();
        return snapshots;
    }

    private static async Task<BackupRepository> OpenAsync(string path) =>
        await BackupRepository.OpenAsync(new LocalBackend(path), new RepositoryOpenOptions(), Ct);

    [Fact]
    public async Task DryRun_ShowsWhatGoesAndTheRuleThatKeepsEachSnapshot_AndChangesNothing()
    {
        var snapshots = await DailySnapshotsAsync(days: 5, step: 10, window: 20);
        var cli = Cli("retention:\n  keep-last: 2\n  keep-tag: [never]\n");
        var before = Directory.EnumerateFiles(RepositoryPath, "*", SearchOption.AllDirectories).Order().ToList();

        var table = await cli.RunAsync("cleanup", "--dry-run");
        Assert.True(table.ExitCode == 0, table.ToString());
        _output.WriteLine(table.Stdout);
        Assert.Contains("would remove", table.Stdout);
        Assert.Contains($"{snapshots[^1].ShortId}", table.Stdout);
        Assert.Contains("last, newest (safety)", table.Stdout);
        Assert.Contains("no keep rule matches", table.Stdout);
        Assert.Contains("snapshots: 2 kept, 3 to remove", table.Stdout);
        Assert.Contains("30 to delete", table.Stdout);

        var json = await cli.RunAsync("cleanup", "--dry-run", "--json");
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Stdout);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("dryRun").GetBoolean());
        var decisions = root.GetProperty("snapshots").EnumerateArray().ToList();
        Assert.Equal(snapshots.Select(s => s.Id.ToString()), decisions.Select(d => d.GetProperty("id").GetString()));
        Assert.Equal([false, false, false, true, true], decisions.Select(d => d.GetProperty("keep").GetBoolean()));
        Assert.Equal(["last"], decisions[3].GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(30, root.GetProperty("chunks").GetProperty("deleted").GetInt32());
        Assert.True(root.GetProperty("bytesFreed").GetInt64() > 30 * 100);

        Assert.Equal(before, Directory.EnumerateFiles(RepositoryPath, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task Cleanup_RemovesAndFrees_ThenVerifyIsClean()
    {
        var snapshots = await DailySnapshotsAsync(days: 40, step: 10, window: 30);
        var cli = Cli();
        var result = await cli.RunAsync("cleanup");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("snapshots: 30 kept, 10 removed", result.Stdout);
        Assert.Contains("freed:", result.Stdout);
        await using var repository = await OpenAsync(RepositoryPath);
        Assert.Equal(snapshots.TakeLast(30).Select(s => s.Id).Order(), (await repository.ListSnapshotIdsAsync(Ct)).Order());
        var verify = await cli.RunAsync("verify", "--read-data");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var log = await cli.RunAsync("log", "--json");
        Assert.Contains("\"cleanup\"", log.Stdout);
    }

    [Fact]
    public async Task PolicyThatKeepsNothing_IsRefused_WithExitCode9_AndNothingIsDeleted()
    {
        await DailySnapshotsAsync(days: 3, step: 10, window: 20, daysAgo: 40); // backups stopped 40 days ago
        var before = Directory.EnumerateFiles(RepositoryPath, "*", SearchOption.AllDirectories).Order().ToList();
        var result = await Cli().RunAsync("cleanup");
        Assert.Equal(9, result.ExitCode);
        Assert.Contains("refusing to clean up", result.Stderr);
        Assert.Contains("keeps none of the 3 snapshots", result.Stderr);
        Assert.Contains("hint:", result.Stderr);
        Assert.Equal(before, Directory.EnumerateFiles(RepositoryPath, "*", SearchOption.AllDirectories).Order().ToList());
    }

    [Fact]
    public async Task EmptyPolicy_IsAConfigurationError_WithExitCode2()
    {
        await DailySnapshotsAsync(days: 2, step: 10, window: 20);
        var result = await Cli("retention:\n  max-age: off\n  max-count: 0\n").RunAsync("cleanup", "--dry-run");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("'retention'", result.Stderr);
        Assert.Contains("empty", result.Stderr);
    }

    /// <summary>
    /// kill -9 at random moments (seeded, so a failure can be replayed): after every kill each snapshot the policy keeps
    /// is whole (read back and checked), and a final cleanup leaves exactly the kept snapshots and their chunks.
    /// </summary>
    [Fact]
    public async Task CleanupKilledAtRandomPoints_NeverLosesKeptData_AndTheNextCleanupFinishes()
    {
        // 60 days, 30 of them kept by the default policy; 22,700 chunks, about half of them garbage.
        var snapshots = await DailySnapshotsAsync(days: 60, step: 300, window: 3000, orphans: 2000);
        var kept = snapshots.TakeLast(30).ToList();
        var keptIds = kept.Select(s => s.Id).ToList();
        var keptChunks = kept.SelectMany(SyntheticRepository.ChunkNamesOf).ToHashSet();
        var cli = Cli();

        // How long a cleanup of this repository takes, start-up included, from a dry run.
        var watch = Stopwatch.StartNew();
        Assert.Equal(0, (await cli.RunAsync("cleanup", "--dry-run")).ExitCode);
        var span = watch.Elapsed.TotalSeconds * 1.5;
        var random = new Random(4242);
        int ChunkFiles() => Directory.EnumerateFiles(Path.Combine(RepositoryPath, "chunks"), "*", SearchOption.AllDirectories).Count();
        var initialChunks = ChunkFiles();
        var kills = 0;
        for (var round = 0; round < 6; round++)
        {
            // The first kill lands while manifests are being removed, the second in the middle of the sweep, the
            // others at random moments.
            var manifests = Path.Combine(RepositoryPath, "snapshots");
            var delay = TimeSpan.FromSeconds(random.NextDouble() * span);
            var (how, killer) = round switch
            {
                0 => ("while removing manifests", (Func<Process, Task>)(p => KillWhenAsync(p, () => Directory.EnumerateFiles(manifests).Count() < 55))),
                1 => ("in the sweep", p => KillWhenAsync(p, () => ChunkFiles() < initialChunks - 2000)),
                _ => ($"after {delay.TotalSeconds:0.00}s", p => KillAfterAsync(p, delay)),
            };
            var result = await cli.RunAsync(["cleanup"], process => _ = killer(process));
            await using var repository = await OpenAsync(RepositoryPath);
            var snapshotsLeft = (await repository.ListSnapshotIdsAsync(Ct)).Count;
            var chunksLeft = ChunkFiles();
            _output.WriteLine($"round {round}: kill {how} -> exit {result.ExitCode}, {snapshotsLeft} snapshots, {chunksLeft} chunk files");
            Assert.True(result.ExitCode is 0 or 137, result.ToString());
            if (result.ExitCode == 137)
                kills++;
            // The first two kills are placed in the middle of the work.
            if (round == 0)
                Assert.True(result.ExitCode == 137 && snapshotsLeft < 60, $"{snapshotsLeft} snapshots");
            if (round == 1)
                Assert.True(result.ExitCode == 137 && chunksLeft > keptChunks.Count && chunksLeft < initialChunks, $"{chunksLeft} chunk files");

            // Every kept snapshot is there and whole.
            var ids = await repository.ListSnapshotIdsAsync(Ct);
            Assert.All(keptIds, id => Assert.Contains(id, ids));
            var report = await RepositoryVerifier.VerifyAsync(repository, keptIds, readData: true, cancellationToken: Ct);
            Assert.True(report.Ok, string.Join("\n", report.Problems.Select(p => $"{p.Object}: {p.Message}")));
            if (result.ExitCode == 0)
                break;
        }
        _output.WriteLine($"{kills} kills");

        // Temporary files of puts cut short by a kill are removed once they are an hour old.
        var temporary = Directory.EnumerateFiles(RepositoryPath, "*.tmp", SearchOption.AllDirectories).ToList();
        _output.WriteLine($"temporary files left by the kills: {string.Join(", ", temporary.Select(t => Path.GetRelativePath(RepositoryPath, t)))}");
        foreach (var file in temporary)
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));
        var final = await cli.RunAsync("cleanup");
        Assert.True(final.ExitCode == 0, final.ToString());
        if (temporary.Count > 0)
            Assert.Contains($"removed {temporary.Count} temporary file(s)", final.Stdout);
        await using (var repository = await OpenAsync(RepositoryPath))
        {
            Assert.Equal(keptIds.Order(), (await repository.ListSnapshotIdsAsync(Ct)).Order());
            var chunks = new HashSet<string>();
            await foreach (var (_, info) in repository.ListChunksAsync(Ct))
                chunks.Add(info.Name);
            Assert.Equal(keptChunks.Order(), chunks.Order());
        }
        Assert.Empty(Directory.EnumerateFiles(RepositoryPath, "*.tmp", SearchOption.AllDirectories));
        Assert.False(Directory.Exists(Path.Combine(RepositoryPath, "forgotten")) &&
                     Directory.EnumerateFiles(Path.Combine(RepositoryPath, "forgotten")).Any());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepositoryPath, "locks")));
        var verify = await cli.RunAsync("verify", "--read-data");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    private static async Task KillWhenAsync(Process process, Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!process.HasExited && !condition() && DateTime.UtcNow < deadline)
            await Task.Delay(1);
        await KillAfterAsync(process, TimeSpan.Zero);
    }

    private static async Task KillAfterAsync(Process process, TimeSpan delay)
    {
        await Task.Delay(delay);
        try
        {
            process.Kill(); // SIGKILL
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // It had ended already.
        }
    }
}
