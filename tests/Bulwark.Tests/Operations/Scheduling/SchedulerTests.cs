using System.Collections.Concurrent;
using Bulwark.Operations;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Scheduling;

/// <summary>
/// The scheduler's timing on a fake clock. The jobs here are stand-ins whose timing the test controls (a real
/// backup cannot be made to last exactly as long as a test needs); the daemon tests run real jobs.
/// </summary>
public sealed class SchedulerTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 0, 30, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(Start);
    private readonly ConcurrentQueue<(string Job, DateTimeOffset At)> _runs = new();

    public void Dispose() => _directory.Dispose();

    private BulwarkContext Context(bool catchUp = true) => TestConfig.Context(_directory, null, _time, c =>
    {
        c.Schedule = new Bulwark.Operations.Configuration.ScheduleConfig
        {
            TimeZone = "UTC", Backup = "0 2 * * *", Check = "off", Cleanup = "off", Drill = "off", CatchUp = catchUp,
        };
    });

    private JobRunner Runner(BulwarkContext context, Func<CancellationToken, Task>? body = null) =>
        new(context, null, new Dictionary<string, Func<CancellationToken, Task<JobBodyResult>>>
        {
            ["backup"] = async ct =>
            {
                _runs.Enqueue(("backup", _time.GetUtcNow()));
                if (body is not null)
                    await body(ct);
                return new JobBodyResult("done");
            },
        });

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    private static Task WaitForNext(Scheduler scheduler, DateTimeOffset next) =>
        WaitUntil(() => scheduler.WaitingFor("backup") == next, $"waiting for the run at {next:u}");

    [Fact]
    public async Task RunsEachJobAtItsTime_AndWaitsForTheNext()
    {
        var context = Context();
        using var scheduler = new Scheduler(context, JobSchedule.FromConfig(context.Settings.Schedule, _time), Runner(context), TimeSpan.FromMinutes(1), null);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        var first = new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero);
        await WaitForNext(scheduler, first);
        _time.Advance(TimeSpan.FromHours(1));
        // An hour on, the loop still waits for 02:00; that it ran no earlier is the run's time below.
        Assert.Equal(first, scheduler.Status()[0].Next);
        Assert.Empty(_runs);
        _time.Advance(TimeSpan.FromMinutes(31));
        await WaitUntil(() => _runs.Count == 1, "the 02:00 run");
        Assert.True(_runs.Single().At >= first);
        await WaitForNext(scheduler, first.AddDays(1));
        var state = scheduler.Runner.States.Read("backup")!;
        Assert.Equal("ok", state.LastOutcome);
        Assert.Equal("schedule", state.LastTrigger);
        stop.Cancel();
        await loop;
        Assert.Single(_runs);
    }

    [Fact]
    public async Task FirstStart_DoesNotRunPastTimes_ButRemembersSinceWhenItWatches()
    {
        var context = Context();
        using var scheduler = new Scheduler(context, JobSchedule.FromConfig(context.Settings.Schedule, _time), Runner(context), TimeSpan.FromMinutes(1), null);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        await WaitForNext(scheduler, new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero));
        stop.Cancel();
        await loop;
        Assert.Empty(_runs);
        Assert.Equal(Start, scheduler.Runner.States.Read("backup")!.WatchedSince);
    }

    /// <summary>Starts a scheduler and waits until it waits for 02:00: <paramref name="expected"/> catch-up runs happened before.</summary>
    private async Task AssertRunsAtStartAsync(BulwarkContext context, JobRunner runner, int expected)
    {
        using var scheduler = new Scheduler(context, JobSchedule.FromConfig(context.Settings.Schedule, _time), runner, TimeSpan.FromMinutes(1), null);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        await WaitForNext(scheduler, new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero));
        Assert.Equal(expected, _runs.Count);
        if (expected > 0)
            Assert.Equal("catch-up", runner.States.Read("backup")!.LastTrigger);
        stop.Cancel();
        await loop;
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)]
    public async Task AfterDowntime_AMissedRunIsRunOnceAtStart(bool catchUp, int expected)
    {
        var context = Context(catchUp);
        var runner = Runner(context);
        // The daemon last ran the backup three days ago, and was down since: three runs were missed.
        runner.States.Write(new JobState { Job = "backup", WatchedSince = Start.AddDays(-30), LastStart = Start.AddDays(-3).AddHours(1.5), LastEnd = Start.AddDays(-3).AddHours(1.6), LastOutcome = "ok" });
        await AssertRunsAtStartAsync(context, runner, expected);
    }

    [Theory]
    [InlineData(null, "ok", 1)]          // started yesterday at 02:00 and never finished: the machine went down
    [InlineData(-1.0, "ok", 1)]          // the end recorded is the day before's
    [InlineData(0.1, "cancelled", 1)]    // stopped by a shutdown
    [InlineData(0.1, "failed", 0)]       // it ran and failed: alerted, and the next run is at 02:00
    [InlineData(0.1, "ok", 0)]
    public async Task ARunThatDidNotFinish_IsRunAgainAtStart(double? endedDaysAfterStart, string outcome, int expected)
    {
        var context = Context();
        var runner = Runner(context);
        var lastStart = new DateTimeOffset(2026, 3, 9, 2, 0, 0, TimeSpan.Zero);
        runner.States.Write(new JobState
        {
            Job = "backup", WatchedSince = Start.AddDays(-30), LastStart = lastStart, LastOutcome = outcome,
            LastEnd = endedDaysAfterStart is { } d ? lastStart.AddDays(d) : null,
        });
        await AssertRunsAtStartAsync(context, runner, expected);
    }

    [Fact]
    public async Task AJobNeverRunsTwiceAtOnce_NotEvenFromAnotherRunner()
    {
        var context = Context();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var scheduler = new Scheduler(context, JobSchedule.FromConfig(context.Settings.Schedule, _time),
            Runner(context, _ => release.Task), TimeSpan.FromMinutes(1), null);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        await WaitForNext(scheduler, new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero));
        _time.Advance(TimeSpan.FromHours(2));
        await WaitUntil(() => scheduler.Status()[0].RunningSince is not null, "the run to start");
        // The next day's time passes while the first run still runs: it is skipped, not started beside it.
        for (var i = 0; i < 30; i++)
        {
            _time.Advance(TimeSpan.FromHours(1));
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
        Assert.Single(_runs);
        // Another runner on the same state folder (a crontab entry, a second daemon) is turned away.
        var other = await Runner(context).RunAsync("backup", "manual", TestContext.Current.CancellationToken);
        Assert.Equal(JobOutcome.Skipped, other.Outcome);
        Assert.Contains("still running", other.Summary);
        Assert.Single(_runs);
        release.SetResult();
        await WaitUntil(() => scheduler.Status()[0].RunningSince is null, "the run to end");
        stop.Cancel();
        await loop;
        Assert.Equal("ok", scheduler.Runner.States.Read("backup")!.LastOutcome);
    }

    [Fact]
    public async Task Stop_LetsARunningJobFinishWithinTheShutdownTimeout()
    {
        var context = Context();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = false;
        using var scheduler = new Scheduler(context, JobSchedule.FromConfig(context.Settings.Schedule, _time),
            Runner(context, async ct => { using var r = ct.Register(() => cancelled = true); await release.Task; }), TimeSpan.FromMinutes(5), null);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        await WaitForNext(scheduler, new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero));
        _time.Advance(TimeSpan.FromHours(2));
        await WaitUntil(() => scheduler.Status()[0].RunningSince is not null, "the run to start");
        stop.Cancel();
        // The fake clock fires due timers inside Advance: four minutes do not reach the five-minute grace.
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.False(loop.IsCompleted);
        Assert.False(cancelled);
        release.SetResult();
        await loop;
        Assert.False(cancelled);
        Assert.Equal("ok", scheduler.Runner.States.Read("backup")!.LastOutcome);
    }

    [Fact]
    public async Task Stop_CancelsAJobThatOutlastsTheShutdownTimeout()
    {
        var context = Context();
        using var scheduler = new Scheduler(context, JobSchedule.FromConfig(context.Settings.Schedule, _time),
            Runner(context, ct => Task.Delay(Timeout.Infinite, ct)), TimeSpan.FromMinutes(5), null);
        using var stop = new CancellationTokenSource();
        var loop = scheduler.RunAsync(stop.Token);
        await WaitForNext(scheduler, new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero));
        _time.Advance(TimeSpan.FromHours(2));
        await WaitUntil(() => scheduler.Status()[0].RunningSince is not null, "the run to start");
        stop.Cancel();
        _time.Advance(TimeSpan.FromMinutes(5));
        await loop.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);
        var state = scheduler.Runner.States.Read("backup")!;
        Assert.Equal("cancelled", state.LastOutcome);
        Assert.Equal(0, state.ConsecutiveFailures);
    }

    [Fact]
    public async Task AFailedRun_IsRecorded_WithItsError_AndCounted()
    {
        var context = Context();
        var runner = Runner(context, _ => throw new BulwarkException(ErrorKind.SourceUnavailable, "cannot connect to db.example.com:5432", "start the server"));
        var first = await runner.RunAsync("backup", "manual", TestContext.Current.CancellationToken);
        var second = await runner.RunAsync("backup", "manual", TestContext.Current.CancellationToken);
        Assert.Equal(JobOutcome.Failed, second.Outcome);
        Assert.Equal(ErrorKind.SourceUnavailable, first.Error!.Kind);
        var state = runner.States.Read("backup")!;
        Assert.Equal("failed", state.LastOutcome);
        Assert.Equal(2, state.ConsecutiveFailures);
        Assert.Contains("cannot connect", state.LastError);
        Assert.Null(state.LastSuccess);
    }
}
