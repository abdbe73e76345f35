using Bulwark.Cli.Daemon.Dashboard;
using Bulwark.Operations.Catalog;
using Bulwark.Operations.Status;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Daemon;

/// <summary>
/// The daemon's dashboard cycle and the snapshot cache it reads: a refresh that fails in any way leaves the last page
/// served and the cycle going, and a cache that two readers filled at once still reads.
/// </summary>
public sealed class DashboardStateTests : FakeClockTest
{
    private static StatusReport Report(int snapshots) => new() { Time = Now, TimeZone = "UTC", Snapshots = snapshots };

    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromMinutes(1));
        while (!condition())
            await Task.Delay(10, timeout.Token);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task ARefreshThatThrowsAnyException_KeepsTheLastPage_AndTheCycleGoesOn_AndStopsCleanly()
    {
        var calls = 0;
        var failures = new List<string>();
        using var state = new DashboardState(_ => ++calls switch
        {
            1 => Task.FromResult(Report(1)),
            2 => throw new ArgumentException("An item with the same key has already been added. Key: 3f2a"),
            _ => Task.FromResult(Report(3)),
        }, _time);
        state.Failed += failures.Add;
        using var stop = new CancellationTokenSource();
        var cycle = Task.Run(() => state.RunAsync(stop.Token), Ct);

        await UntilAsync(() => state.Current is not null, "no first page");
        Assert.Equal(1, state.Current!.Report.Snapshots);
        state.Poke();
        await UntilAsync(() => failures.Count == 1, "the failed refresh was not reported");
        Assert.Contains("same key", failures[0]);
        Assert.Equal(1, state.Current.Report.Snapshots);
        Assert.False(cycle.IsCompleted);

        // The next cycle makes a new page.
        state.Poke();
        await UntilAsync(() => state.Current.Report.Snapshots == 3, "the cycle stopped after a failed refresh");

        await stop.CancelAsync();
        await cycle;
        Assert.True(cycle.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task SnapshotCache_WrittenTwiceByTwoReadersAtOnce_StillReads_EachSnapshotOnce()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"), _time);
        for (var day = 3; day > 0; day--)
            await repo.AddSnapshotAsync(Enumerable.Range(day * 10, 4), Now.AddDays(-day), source: "app");
        await repo.Repository.AppendEventAsync(Bulwark.Repository.RepositoryLayout.ProofEvents, new Bulwark.Repository.Snapshots.ProofRecord
        {
            Snapshot = (await repo.Repository.ListSnapshotsAsync(Ct))[^1].Id.ToString(),
            Kind = Bulwark.Repository.Snapshots.ProofRecord.Drill, Passed = true, Time = Now,
        }, Ct);
        var stateFolder = _directory.Combine("state");
        var catalog = new SnapshotCatalog(repo.Repository, stateFolder);
        Assert.Equal(3, (await catalog.ListAsync(Ct)).Count);
        Assert.Single(await catalog.ProofsAsync(Ct));

        // Two readers that found the same entries missing both appended them (the daemon's health check and its
        // dashboard at start, or the daemon and a 'bulwark status').
        foreach (var file in new[] { "snapshots-2.jsonl", "proofs.jsonl" })
        {
            var path = Path.Combine(catalog.Folder, file);
            await File.AppendAllTextAsync(path, await File.ReadAllTextAsync(path, Ct), Ct);
        }

        var again = new SnapshotCatalog(repo.Repository, stateFolder);
        var summaries = await again.ListAsync(Ct);
        Assert.Equal(3, summaries.Count);
        Assert.Equal(3, summaries.Select(s => s.Id).Distinct().Count());
        Assert.Single(await again.ProofsAsync(Ct));
    }
}
