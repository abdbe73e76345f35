using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;
using Prometheus;

namespace Bulwark.Cli.Daemon;

/// <summary>
/// The daemon's Prometheus metrics: the health report's numbers (bulwark_backup_age_seconds, bulwark_snapshots, …),
/// each check's status, per job its last run, last success, next run, duration and counts, and the daemon's own
/// memory. Gauges are filled just before each scrape from the scheduler's state.
/// </summary>
internal sealed class DaemonMetrics
{
    private readonly Scheduler _scheduler;
    private readonly TimeProvider _time;
    private readonly Gauge _healthStatus;
    private readonly Gauge _checkStatus;
    private readonly Gauge _checkValue;
    private readonly Gauge _lastCheck;
    private readonly Gauge _jobLastRun;
    private readonly Gauge _jobLastSuccess;
    private readonly Gauge _jobNextRun;
    private readonly Gauge _jobRunning;
    private readonly Gauge _jobLastOk;
    private readonly Gauge _jobFailures;
    private readonly Gauge _jobLastDuration;
    private readonly Counter _jobRuns;
    private readonly Gauge _up;
    private readonly Gauge _memory;
    private readonly Dictionary<string, Gauge> _named = new(StringComparer.Ordinal);
    private readonly MetricFactory _factory;

    public DaemonMetrics(Scheduler scheduler, TimeProvider time)
    {
        _scheduler = scheduler;
        _time = time;
        Registry = Metrics.NewCustomRegistry();
        _factory = Metrics.WithCustomRegistry(Registry);
        _up = _factory.CreateGauge("bulwark_daemon_start_timestamp_seconds", "When the daemon started (Unix time)");
        _healthStatus = _factory.CreateGauge("bulwark_health_status", "Worst status of the last health check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN");
        _checkStatus = _factory.CreateGauge("bulwark_check_status", "Status of each check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN", "check");
        _checkValue = _factory.CreateGauge("bulwark_check_value", "Every number a check measured, by name (as in 'bulwark check --nagios')", "check", "name");
        _lastCheck = _factory.CreateGauge("bulwark_health_checked_timestamp_seconds", "When the last health check ran (Unix time)");
        _jobLastRun = _factory.CreateGauge("bulwark_job_last_run_timestamp_seconds", "Start of the job's last run (Unix time)", "job");
        _jobLastSuccess = _factory.CreateGauge("bulwark_job_last_success_timestamp_seconds", "End of the job's last successful run (Unix time)", "job");
        _jobNextRun = _factory.CreateGauge("bulwark_job_next_run_timestamp_seconds", "The job's next scheduled run (Unix time)", "job");
        _jobRunning = _factory.CreateGauge("bulwark_job_running", "1 while the job runs", "job");
        _jobLastOk = _factory.CreateGauge("bulwark_job_last_run_ok", "1 when the job's last run succeeded, 0 when it failed or was cancelled", "job");
        _jobFailures = _factory.CreateGauge("bulwark_job_consecutive_failures", "Failed runs of the job since its last success", "job");
        _jobLastDuration = _factory.CreateGauge("bulwark_job_last_duration_seconds", "Duration of the job's last run", "job");
        _memory = _factory.CreateGauge("bulwark_daemon_memory_bytes",
            "The daemon's memory: resident and peak (kernel), GC heap size, committed and fragmented after the last collection", "kind");
        _jobRuns = _factory.CreateCounter("bulwark_job_runs_total", "Runs of each job by this daemon, by outcome", "job", "outcome");
        scheduler.JobFinished += result => _jobRuns.WithLabels(result.Job, result.Outcome.ToString().ToLowerInvariant()).Inc();
        Registry.AddBeforeCollectCallback(Update);
    }

    public CollectorRegistry Registry { get; }

    private void Update()
    {
        var memory = DaemonMemory.Read();
        _memory.WithLabels("resident").Set(memory.Resident);
        _memory.WithLabels("peak").Set(memory.Peak);
        _memory.WithLabels("gc_heap").Set(memory.HeapSize);
        _memory.WithLabels("gc_committed").Set(memory.Committed);
        _memory.WithLabels("gc_fragmented").Set(memory.Fragmented);
        if (_scheduler.Started is { } started)
            _up.Set(started.ToUnixTimeMilliseconds() / 1000.0);
        foreach (var job in _scheduler.Status())
        {
            var state = job.Last;
            Set(_jobLastRun, job.Job, state?.LastStart);
            Set(_jobLastSuccess, job.Job, state?.LastSuccess);
            Set(_jobNextRun, job.Job, job.Next);
            _jobRunning.WithLabels(job.Job).Set(job.RunningSince is null ? 0 : 1);
            if (state?.LastOutcome is { } outcome)
                _jobLastOk.WithLabels(job.Job).Set(outcome == "ok" ? 1 : 0);
            _jobFailures.WithLabels(job.Job).Set(state?.ConsecutiveFailures ?? 0);
            if (state?.LastStart is { } s && state.LastEnd is { } e && e >= s)
                _jobLastDuration.WithLabels(job.Job).Set((e - s).TotalSeconds);
        }
        if (_scheduler.LatestHealth is not { } report)
            return;
        _healthStatus.Set((int)report.Status);
        _lastCheck.Set(report.Time.ToUnixTimeMilliseconds() / 1000.0);
        foreach (var finding in report.Findings)
        {
            _checkStatus.WithLabels(finding.Check).Set((int)finding.Status);
            foreach (var metric in finding.Metrics)
            {
                if (metric.Source is { } source)
                {
                    Named(metric).WithLabels(source).Set(metric.Value);
                    continue;
                }
                _checkValue.WithLabels(finding.Check, metric.Name).Set(metric.Value);
                Named(metric).Set(metric.Value);
            }
        }
    }

    /// <summary>
    /// A gauge per measured number, named as Prometheus prefers: bulwark_backup_age_seconds, bulwark_disk_free_state_bytes;
    /// a source's numbers as bulwark_source_backup_age_seconds{source="app"}.
    /// </summary>
    private Gauge Named(HealthMetric metric)
    {
        var suffix = metric.Unit switch { "s" => "_seconds", "B" => "_bytes", "%" => "_percent", _ => "" };
        var prefix = metric.Source is null ? "bulwark_" : "bulwark_source_";
        var name = $"{prefix}{metric.Name}{(metric.Name.EndsWith(suffix, StringComparison.Ordinal) ? "" : suffix)}";
        lock (_named)
        {
            if (!_named.TryGetValue(name, out var gauge))
                _named[name] = gauge = metric.Source is null
                    ? _factory.CreateGauge(name, $"'{metric.Name}' of the last health check")
                    : _factory.CreateGauge(name, $"'{metric.Name}' of each source at the last health check", "source");
            return gauge;
        }
    }

    private static void Set(Gauge gauge, string job, DateTimeOffset? time)
    {
        if (time is { } t)
            gauge.WithLabels(job).Set(t.ToUnixTimeMilliseconds() / 1000.0);
    }
}
