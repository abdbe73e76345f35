using Bulwark.Operations.Alerts;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Drills;
using Bulwark.Operations.Health;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Retention;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// Runs a job the way schedules do ('bulwark daemon', and the crontab and systemd units through 'bulwark schedule
/// run'): never twice at once (a lock in the state folder, across processes), its last run remembered in the state
/// folder, and alerts for a failure and the recovery after it. A check job also sends the alerts of its findings.
/// </summary>
public sealed class JobRunner
{
    private readonly BulwarkContext _context;
    private readonly AlertDispatcher _alerts;
    private readonly IReadOnlyDictionary<string, Func<CancellationToken, Task<JobBodyResult>>> _bodies;

    public JobRunner(BulwarkContext context, AlertDispatcher? alerts = null)
        : this(context, alerts, null)
    {
    }

    /// <param name="bodies">Replaces the bodies of the named jobs (tests of scheduling use jobs whose timing they control).</param>
    internal JobRunner(BulwarkContext context, AlertDispatcher? alerts,
        IReadOnlyDictionary<string, Func<CancellationToken, Task<JobBodyResult>>>? bodies)
    {
        _context = context;
        _alerts = alerts ?? new AlertDispatcher(context);
        var all = new Dictionary<string, Func<CancellationToken, Task<JobBodyResult>>>(StringComparer.Ordinal)
        {
            [JobNames.Backup] = BackupAsync,
            [JobNames.Check] = CheckAsync,
            [JobNames.Cleanup] = CleanupAsync,
            [JobNames.Drill] = DrillAsync,
        };
        foreach (var (name, body) in bodies ?? new Dictionary<string, Func<CancellationToken, Task<JobBodyResult>>>())
            all[name] = body;
        _bodies = all;
        States = JobStateStore.For(context);
    }

    public JobStateStore States { get; }

    private (HealthFinding Finding, DateTimeOffset Time)? _lastIntegrity;

    public AlertDispatcher Alerts => _alerts;

    /// <summary>The jobs: those of the whole configuration, and with 'sources:' the backup and drill of each source.</summary>
    public IReadOnlyCollection<string> Jobs => _context.Settings.Sources.Count == 0
        ? _bodies.Keys.ToList()
        : [.. _bodies.Keys, .. _context.Sources.SelectMany(source => JobNames.PerSource.Select(j => JobNames.ForSource(j, source.Name)))];

    /// <summary>Where a job's alerts go: a source's own 'alerts:' for its jobs, else the configuration's.</summary>
    private AlertDispatcher AlertsFor(string job) =>
        JobNames.TrySplit(job, out _, out var name) && _context.Settings.Sources.Count > 0 &&
        _context.Sources.FirstOrDefault(s => s.Name == name) is { } source && source.Settings.Alerts != _context.Settings.Alerts
            ? new AlertDispatcher(_context.ForSource(source))
            : _alerts;

    /// <summary>The body of "backup.NAME" or "drill.NAME": the job on that source's context; null for no such job.</summary>
    private Func<CancellationToken, Task<JobBodyResult>>? SourceJob(string name)
    {
        if (!JobNames.TrySplit(name, out var job, out var sourceName) || _context.Settings.Sources.Count == 0 ||
            _context.Sources.FirstOrDefault(s => s.Name == sourceName) is not { } source)
            return null;
        var context = _context.ForSource(source);
        return job == JobNames.Backup
            ? ct => BackupAsync(context, ct)
            : ct => DrillAsync(context, ct);
    }

    /// <summary>Called when a check job (or a daemon's health refresh) has a new report.</summary>
    public event Action<HealthReport>? HealthReported;

    /// <summary>Runs <paramref name="job"/> now. Never throws for the job's own failure: the result says how it ended.</summary>
    /// <param name="trigger">schedule, catch-up or manual (recorded with the run).</param>
    public async Task<JobRunResult> RunAsync(string job, string trigger, CancellationToken cancellationToken)
    {
        if (!_bodies.TryGetValue(job, out var body) && SourceJob(job) is not { } sourceBody)
            throw new BulwarkException(ErrorKind.Usage, $"there is no job '{job}'",
                $"the jobs are: {string.Join(", ", Jobs.Order(StringComparer.Ordinal))}");
        body ??= SourceJob(job)!;
        var start = _context.Time.GetUtcNow();
        JobLock? taken = null;
        try
        {
            taken = States.TryLock(job, start, out var holder);
            if (taken is null)
                return new JobRunResult
                {
                    Job = job, Outcome = JobOutcome.Skipped, Trigger = trigger, Start = start, End = start,
                    Summary = $"not started: the previous run of {job} is still running ({holder})",
                };
            States.Update(job, s => s with { LastStart = start, LastTrigger = trigger });
        }
        catch (BulwarkException e)
        {
            // The state folder cannot be written: the job cannot be run safely (no lock, no record), and says so.
            taken?.Dispose();
            await AlertQuietlyAsync(() => AlertsFor(job).NotifyJobAsync(job, e, CancellationToken.None)).ConfigureAwait(false);
            return Failed(job, trigger, start, e);
        }
        using var jobLock = taken;
        var opened = OpenedRepository.Start();
        JobRunResult result;
        try
        {
            var done = await body(cancellationToken).ConfigureAwait(false);
            result = new JobRunResult
            {
                Job = job, Outcome = JobOutcome.Ok, Trigger = trigger, Start = start, End = _context.Time.GetUtcNow(),
                Summary = done.Summary, Health = done.Health,
            };
        }
        catch (OperationCanceledException)
        {
            result = new JobRunResult
            {
                Job = job, Outcome = JobOutcome.Cancelled, Trigger = trigger, Start = start, End = _context.Time.GetUtcNow(),
                Summary = "cancelled; nothing was committed",
            };
        }
        catch (BulwarkException e) when (e.Kind == ErrorKind.Cancelled)
        {
            result = new JobRunResult
            {
                Job = job, Outcome = JobOutcome.Cancelled, Trigger = trigger, Start = start, End = _context.Time.GetUtcNow(),
                Summary = e.Message,
            };
        }
        catch (Exception e)
        {
            result = Failed(job, trigger, start, e as BulwarkException ?? new BulwarkException(ErrorKind.Internal,
                $"unexpected {e.GetType().Name}: {e.Message}", "run the job by hand with --verbose, and report it if it persists", e));
        }

        try
        {
            Record(job, result, opened.Id);
        }
        catch (BulwarkException e)
        {
            Warning?.Invoke($"{job}: the run was not recorded: {SecretRedactor.Redact(e.Message)}");
        }

        // A cancelled run says nothing about health (shutdown); the checks notice a backup that stays missing.
        if (result.Outcome is JobOutcome.Ok or JobOutcome.Failed)
            await AlertQuietlyAsync(() => AlertsFor(job).NotifyJobAsync(job, result.Error, CancellationToken.None)).ConfigureAwait(false);
        if (result.Health is not null)
        {
            Remember(result.Health);
            HealthReported?.Invoke(result.Health);
            await AlertQuietlyAsync(() => _alerts.NotifyCheckAsync(result.Health, CancellationToken.None)).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>
    /// A health check between scheduled ones (the daemon's /health), with alerts. <paramref name="quick"/> skips the
    /// integrity check; its last result (from a full check) is carried over, marked with its time.
    /// </summary>
    public async Task<HealthReport> RefreshHealthAsync(bool quick, CancellationToken cancellationToken)
    {
        var report = await new HealthCheckOperation(_context).RunAsync(new HealthCheckRequest { Quick = quick }, cancellationToken).ConfigureAwait(false);
        Remember(report);
        if (quick && _lastIntegrity is { } last && report.Find(HealthCheckNames.Integrity) is null)
        {
            var carried = last.Finding with { Summary = $"{last.Finding.Summary} (at the last full check, {last.Time:yyyy-MM-dd HH:mm}Z)" };
            report = report with { Findings = [.. report.Findings, carried] };
        }
        HealthReported?.Invoke(report);
        await AlertQuietlyAsync(() => _alerts.NotifyCheckAsync(report, CancellationToken.None)).ConfigureAwait(false);
        return report;
    }

    private void Remember(HealthReport report)
    {
        if (report.Find(HealthCheckNames.Integrity) is { } integrity)
            _lastIntegrity = (integrity, report.Time);
    }

    private JobRunResult Failed(string job, string trigger, DateTimeOffset start, BulwarkException error) => new()
    {
        Job = job, Outcome = JobOutcome.Failed, Trigger = trigger, Start = start, End = _context.Time.GetUtcNow(),
        Error = error, Summary = SecretRedactor.Redact(error.Message),
    };

    private void Record(string job, JobRunResult result, string? repositoryId) =>
        States.Update(job, s => s with
        {
            RepositoryId = repositoryId ?? s.RepositoryId,
            LastEnd = result.End,
            LastOutcome = result.Outcome.ToString().ToLowerInvariant(),
            LastSummary = result.Summary is null ? null : SecretRedactor.Redact(result.Summary),
            LastError = result.Error is null ? null : SecretRedactor.Redact(result.Error.Message),
            LastErrorKind = result.Error?.Kind.ToString(),
            LastSuccess = result.Outcome == JobOutcome.Ok ? result.End : s.LastSuccess,
            ConsecutiveFailures = result.Outcome == JobOutcome.Failed ? s.ConsecutiveFailures + 1
                : result.Outcome == JobOutcome.Ok ? 0 : s.ConsecutiveFailures,
        });

    /// <summary>Deliveries that fail are retried at the next evaluation; they never fail the job.</summary>
    private async Task AlertQuietlyAsync(Func<Task<AlertDelivery>> send)
    {
        try
        {
            var delivery = await send().ConfigureAwait(false);
            foreach (var failed in delivery.Sent.Where(s => s.Error is not null))
                Warning?.Invoke($"alert to {failed.Channel} not delivered: {failed.Error}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or BulwarkException)
        {
            Warning?.Invoke($"alerts not sent: {SecretRedactor.Redact(e.Message)}");
        }
    }

    /// <summary>Told of a problem that does not fail the job: an alert not delivered, a run not recorded (the daemon logs it).</summary>
    public event Action<string>? Warning;

    /// <summary>The backup job of the whole configuration: with 'sources:', each source in turn.</summary>
    private Task<JobBodyResult> BackupAsync(CancellationToken cancellationToken) =>
        EachSourceAsync(BackupAsync, cancellationToken);

    /// <summary>
    /// <paramref name="body"/> on the configuration, or with 'sources:' on each source in turn: one source's failure
    /// does not stop the others, and fails the job with every failure named.
    /// </summary>
    private async Task<JobBodyResult> EachSourceAsync(Func<BulwarkContext, CancellationToken, Task<JobBodyResult>> body,
        CancellationToken cancellationToken)
    {
        if (_context.Settings.Sources.Count == 0)
            return await body(_context, cancellationToken).ConfigureAwait(false);
        var lines = new List<string>();
        var failures = new List<(string Source, BulwarkException Error)>();
        foreach (var source in _context.Sources)
        {
            try
            {
                lines.Add($"{source.Name}: {(await body(_context.ForSource(source), cancellationToken).ConfigureAwait(false)).Summary}");
            }
            catch (BulwarkException e) when (e.Kind != ErrorKind.Cancelled)
            {
                failures.Add((source.Name, e));
            }
        }
        if (failures.Count > 0)
            throw new BulwarkException(failures[0].Error.Kind,
                string.Join("; ", failures.Select(f => $"{f.Source}: {f.Error.Message}")) +
                (lines.Count > 0 ? $" (done: {string.Join("; ", lines)})" : ""),
                failures[0].Error.Advice);
        return new JobBodyResult(string.Join("; ", lines));
    }

    private async Task<JobBodyResult> BackupAsync(BulwarkContext context, CancellationToken cancellationToken)
    {
        var backup = new BackupOperation(context);
        backup.Warning += message => Warning?.Invoke(message);
        var result = await backup.RunAsync(new BackupRequest(), null, cancellationToken).ConfigureAwait(false);
        var m = result.Snapshot.Manifest;
        return new JobBodyResult($"snapshot {result.Snapshot.ShortId}: {HealthText.Bytes(m.TotalSize)} in {HealthText.Age(m.Duration)}" +
                                 (m.Statistics is { } s ? $", {HealthText.Bytes(s.NewBytes)} new" : ""));
    }

    private async Task<JobBodyResult> CheckAsync(CancellationToken cancellationToken)
    {
        var report = await new HealthCheckOperation(_context).RunAsync(null, cancellationToken).ConfigureAwait(false);
        return new JobBodyResult($"{report.Status.Label()}: {HealthText.Count(report.Problems.Count(), "problem")}", report);
    }

    private Task<JobBodyResult> DrillAsync(CancellationToken cancellationToken) =>
        EachSourceAsync(DrillAsync, cancellationToken);

    private static async Task<JobBodyResult> DrillAsync(BulwarkContext context, CancellationToken cancellationToken)
    {
        var report = await new DrillOperation(context).RunAsync(new DrillRequest(), null, cancellationToken).ConfigureAwait(false);
        return new JobBodyResult($"snapshot {report.Snapshot} restored and identical: {HealthText.Count(report.Tables, "table")}, {report.Rows} rows, in {HealthText.Age(report.TotalDuration)}");
    }

    private async Task<JobBodyResult> CleanupAsync(CancellationToken cancellationToken)
    {
        var result = await new CleanupOperation(_context).RunAsync(false, null, cancellationToken).ConfigureAwait(false);
        return new JobBodyResult($"{result.Plan.Kept.Count()} snapshots kept, {result.Collection.SnapshotsRemoved} removed, " +
                                 $"{HealthText.Bytes(result.BytesFreed)} freed" +
                                 (result.Collection.SweepSkipped is { } skipped ? $"; {skipped}" : ""));
    }
}
