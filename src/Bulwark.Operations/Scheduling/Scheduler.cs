using System.Collections.Concurrent;
using Bulwark.Operations.Health;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// The daemon's clock: runs each job of a <see cref="JobSchedule"/> at its times (one loop per job, so a job never
/// overlaps itself; the job lock also keeps out a cron-run copy), catches up a run missed while nothing watched, and
/// refreshes the health report between runs. On stop no new run starts; a running job gets the shutdown timeout to
/// finish and is then cancelled (a cancelled backup commits nothing). All waiting goes through the context's
/// TimeProvider.
/// </summary>
public sealed class Scheduler : IDisposable
{
    /// <summary>Long waits are cut into pieces, so a clock that jumps (a suspended machine) is noticed within this.</summary>
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(10);

    private readonly BulwarkContext _context;
    private readonly JobSchedule _schedule;
    private readonly JobRunner _runner;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TimeSpan? _healthInterval;
    private readonly ConcurrentDictionary<string, DateTimeOffset?> _next = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _waiting = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _jobs = new();
    private ITimer? _grace;
    private HealthReport? _health;

    public Scheduler(BulwarkContext context, JobSchedule schedule, JobRunner runner, TimeSpan shutdownTimeout,
        TimeSpan? healthInterval)
    {
        _context = context;
        _schedule = schedule;
        _runner = runner;
        _shutdownTimeout = shutdownTimeout;
        _healthInterval = healthInterval;
        runner.HealthReported += report => _health = report;
    }

    public JobSchedule Schedule => _schedule;
    public JobRunner Runner => _runner;

    /// <summary>The newest health report (a check job's, or a refresh's); null until the first.</summary>
    public HealthReport? LatestHealth => _health;

    public DateTimeOffset? Started { get; private set; }

    /// <summary>A line for the daemon's log.</summary>
    public event Action<string>? Message;

    public event Action<JobRunResult>? JobFinished;

    public IReadOnlyList<JobStatus> Status() =>
        _schedule.Jobs.Select(j => new JobStatus(j.Name, j.Expression,
            _next.TryGetValue(j.Name, out var next) ? next : _schedule.NextAfter(j, _context.Time.GetUtcNow()),
            _running.TryGetValue(j.Name, out var since) ? since : null,
            _runner.States.Read(j.Name))).ToList();

    /// <summary>The run a job's loop now waits for; null while it is not waiting (starting, running, stopped).</summary>
    internal DateTimeOffset? WaitingFor(string job) => _waiting.TryGetValue(job, out var next) ? next : null;

    /// <summary>Runs until <paramref name="stopping"/> is cancelled and every running job has ended.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        Started = _context.Time.GetUtcNow();
        using var registration = stopping.Register(BeginShutdown);
        var loops = _schedule.Jobs.Select(job => Task.Run(() => JobLoopAsync(job, stopping), CancellationToken.None)).ToList();
        if (_healthInterval is { } interval)
            loops.Add(Task.Run(() => HealthLoopAsync(interval, stopping), CancellationToken.None));
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        finally
        {
            if (_grace is not null)
                await _grace.DisposeAsync().ConfigureAwait(false);
        }
    }

    private void BeginShutdown()
    {
        var running = _running.Keys.ToList();
        if (_shutdownTimeout <= TimeSpan.Zero)
        {
            if (running.Count > 0)
                Message?.Invoke($"stopping: cancelling {string.Join(", ", running)}");
            _jobs.Cancel();
            return;
        }
        if (running.Count > 0)
            Message?.Invoke($"stopping: waiting up to {HealthText.Age(_shutdownTimeout)} for {string.Join(", ", running)} to finish, then cancelling");
        _grace = _context.Time.CreateTimer(_ =>
        {
            if (!_running.IsEmpty)
                Message?.Invoke($"stopping: shutdown timeout reached; cancelling {string.Join(", ", _running.Keys)}");
            _jobs.Cancel();
        }, null, _shutdownTimeout, Timeout.InfiniteTimeSpan);
    }

    private async Task JobLoopAsync(ScheduledJob job, CancellationToken stopping)
    {
        var now = _context.Time.GetUtcNow();
        var state = _runner.States.Read(job.Name);
        if (state?.WatchedSince is null)
        {
            try
            {
                state = _runner.States.Update(job.Name, s => s with { WatchedSince = now });
            }
            catch (BulwarkException e)
            {
                // Its runs will fail and alert with the same reason; scheduling goes on.
                Message?.Invoke($"{job.Name}: {e.Message}");
                state = (state ?? new JobState { Job = job.Name }) with { WatchedSince = now };
            }
        }
        if (_schedule.CatchUp)
        {
            var since = Max(state.WatchedSince!.Value, state.LastStart);
            // A run that started but never finished (the machine went down, the daemon was killed) or was cancelled
            // left nothing behind: it counts as missed too.
            var interrupted = state.LastStart is { } started &&
                              (state.LastEnd is not { } ended || ended < started || state.LastOutcome == "cancelled");
            var reason = interrupted ? $"the run started at {Local(state.LastStart!.Value)} did not finish"
                : _schedule.Missed(job, since, now) is { } missed ? $"the run due at {Local(missed)} was missed"
                : null;
            if (reason is not null)
            {
                Message?.Invoke($"{job.Name}: {reason}; running it now");
                await RunJobAsync(job, "catch-up", stopping).ConfigureAwait(false);
            }
        }
        var after = _context.Time.GetUtcNow();
        while (!stopping.IsCancellationRequested)
        {
            var next = _schedule.NextAfter(job, after);
            _next[job.Name] = next;
            if (next is null)
                return;
            try
            {
                _waiting[job.Name] = next.Value;
                // Timers may fire a little early; wait until the clock has really reached the time.
                while (_context.Time.GetUtcNow() < next.Value)
                {
                    var wait = next.Value - _context.Time.GetUtcNow();
                    await Task.Delay(wait < LongestWait ? wait : LongestWait, _context.Time, stopping).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                _waiting.TryRemove(job.Name, out _);
            }
            await RunJobAsync(job, "schedule", stopping).ConfigureAwait(false);
            // Runs that came due while this one ran are skipped: the next is after both the run and now.
            after = Max(next.Value, _context.Time.GetUtcNow());
        }
    }

    private async Task RunJobAsync(ScheduledJob job, string trigger, CancellationToken stopping)
    {
        if (stopping.IsCancellationRequested)
            return;
        _running[job.Name] = _context.Time.GetUtcNow();
        Message?.Invoke($"{job.Name}: started ({trigger})");
        JobRunResult result;
        try
        {
            result = await _runner.RunAsync(job.Name, trigger, _jobs.Token).ConfigureAwait(false);
        }
        finally
        {
            _running.TryRemove(job.Name, out _);
        }
        Message?.Invoke($"{job.Name}: {result.Outcome.ToString().ToLowerInvariant()} after {HealthText.Age(result.Duration)}" +
                        (result.Summary is null ? "" : $": {result.Summary}") +
                        (result.Error?.Advice is { } advice ? $" (hint: {advice})" : ""));
        JobFinished?.Invoke(result);
    }

    private async Task HealthLoopAsync(TimeSpan interval, CancellationToken stopping)
    {
        // The first check is full (it looks up the newest snapshot's chunks); later ones skip that, which the
        // scheduled check job does.
        var quick = false;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var report = await _runner.RefreshHealthAsync(quick, stopping).ConfigureAwait(false);
                quick = true;
                if (report.Status != HealthStatus.Ok)
                    Message?.Invoke($"health: {report.ToNagios()}");
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                Message?.Invoke($"health: the check failed: {Logging.SecretRedactor.Redact(e.Message)}");
            }
            try
            {
                await Task.Delay(interval, _context.Time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public void Dispose()
    {
        _grace?.Dispose();
        _jobs.Dispose();
    }

    private string Local(DateTimeOffset time) =>
        TimeZoneInfo.ConvertTime(time, _schedule.TimeZone).ToString("yyyy-MM-dd HH:mm zzz", System.Globalization.CultureInfo.InvariantCulture);

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset? b) => b is { } x && x > a ? x : a;
}
