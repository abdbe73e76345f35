namespace Bulwark.Operations.Status;

/// <summary>
/// The daemon's /status: a report kept for <see cref="Lifetime"/> after it was made, so that a burst of requests
/// costs one repository read. One refresh at a time: requests that arrive while it runs wait for it and get its
/// report. A refresh that failed is not kept. Ages are measured with the given <see cref="TimeProvider"/>.
/// </summary>
public sealed class StatusCache
{
    /// <summary>How long a report is served before a request makes a new one.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(5);

    private readonly Func<CancellationToken, Task<StatusReport>> _refresh;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stopping;
    private readonly Lock _gate = new();
    private Task<StatusReport>? _current;
    private long _madeAt;

    /// <param name="refresh">Makes a new report.</param>
    /// <param name="stopping">Cancels a refresh when the host stops (a request that goes away does not cancel the refresh others wait for).</param>
    public StatusCache(Func<CancellationToken, Task<StatusReport>> refresh, TimeProvider time, TimeSpan? lifetime = null,
        CancellationToken stopping = default)
    {
        _refresh = refresh;
        _time = time;
        Lifetime = lifetime ?? DefaultLifetime;
        _stopping = stopping;
    }

    public TimeSpan Lifetime { get; }

    /// <summary>The cached report, the one being made, or a new one when the cached one is older than <see cref="Lifetime"/>.</summary>
    public Task<StatusReport> GetAsync(CancellationToken cancellationToken)
    {
        Task<StatusReport> task;
        lock (_gate)
        {
            if (_current is null || (_current.IsCompleted &&
                                     (!_current.IsCompletedSuccessfully || _time.GetElapsedTime(_madeAt) >= Lifetime)))
                _current = RefreshAsync();
            task = _current;
        }
        return task.WaitAsync(cancellationToken);
    }

    private async Task<StatusReport> RefreshAsync()
    {
        await Task.Yield(); // out of the lock before the refresh starts
        var report = await _refresh(_stopping).ConfigureAwait(false);
        lock (_gate)
            _madeAt = _time.GetTimestamp();
        return report;
    }
}
