using System.Collections.Concurrent;
using Bulwark.Sources.Postgres.Parallel;

namespace Bulwark.Tests.Sources.Postgres.Parallel;

public sealed class LoadScheduleTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Loads and builds that wait until the test lets them finish, and say when they start.</summary>
    private sealed class Work
    {
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _finish = new();
        public ConcurrentQueue<string> Started { get; } = new();

        public TaskCompletionSource Of(string step) => _finish.GetOrAdd(step, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

        public async Task RunAsync(string step, CancellationToken cancellationToken)
        {
            Started.Enqueue(step);
            await Of(step).Task.WaitAsync(cancellationToken);
        }

        public async Task WaitStartedAsync(int count)
        {
            var deadline = DateTime.UtcNow + Patience;
            while (Started.Count < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"only {string.Join(", ", Started)} started");
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
        }
    }

    [Fact]
    public async Task AJobFreedByALoad_BuildsThatTablesItems_BeforeLoadingTheNextTable()
    {
        var work = new Work();
        using var failed = new CancellationTokenSource();
        var items = new Dictionary<string, int> { ["a"] = 2, ["b"] = 0, ["c"] = 1 };
        var schedule = LoadSchedule.RunAsync(["a", "b", "c"], 2, t => items[t],
            (t, ct) => work.RunAsync($"load {t}", ct), (t, jobs, ct) => work.RunAsync($"build {t} with {jobs}", ct), failed);

        await work.WaitStartedAsync(2);
        Assert.Equal(["load a", "load b"], work.Started.Order());
        work.Of("load a").SetResult();
        await work.WaitStartedAsync(3);
        Assert.Equal("build a with 1", work.Started.Last());

        work.Of("build a with 1").SetResult();
        await work.WaitStartedAsync(4);
        Assert.Equal("load c", work.Started.Last());
        work.Of("load b").SetResult();
        work.Of("load c").SetResult();
        // Nothing is left to load, but c's build has one item: it takes one of the free jobs.
        await work.WaitStartedAsync(5);
        Assert.Equal("build c with 1", work.Started.Last());
        work.Of("build c with 1").SetResult();
        await schedule.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal(5, work.Started.Count);
    }

    [Fact]
    public async Task TheLastBuild_TakesEveryFreeJob()
    {
        var work = new Work();
        using var failed = new CancellationTokenSource();
        var schedule = LoadSchedule.RunAsync(["a"], 3, _ => 2,
            (t, ct) => work.RunAsync($"load {t}", ct), (t, jobs, ct) => work.RunAsync($"build {t} with {jobs}", ct), failed);

        work.Of("load a").SetResult();
        await work.WaitStartedAsync(2);
        Assert.Equal("build a with 2", work.Started.Last());
        work.Of("build a with 2").SetResult();
        await schedule.WaitAsync(Patience, TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task AFailedLoad_StopsTheOthers_StartsNothingMore_AndIsWhatIsThrown()
    {
        var work = new Work();
        using var failed = new CancellationTokenSource();
        var schedule = LoadSchedule.RunAsync(["a", "b", "c"], 2, _ => 1,
            (t, ct) => work.RunAsync($"load {t}", ct), (t, jobs, ct) => work.RunAsync($"build {t}", ct), failed);

        await work.WaitStartedAsync(2);
        work.Of("load a").SetException(new InvalidOperationException("a's rows are refused"));

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => schedule.WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.Equal("a's rows are refused", thrown.Message);
        Assert.True(failed.IsCancellationRequested);
        Assert.Equal(["load a", "load b"], work.Started.Order());
    }
}
