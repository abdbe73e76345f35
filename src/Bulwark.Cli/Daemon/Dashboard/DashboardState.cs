using System.Text;
using System.Text.Json;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations;
using Bulwark.Operations.Dashboard;
using Bulwark.Operations.Status;

namespace Bulwark.Cli.Daemon.Dashboard;

/// <summary>
/// What the daemon serves at / and /status, made by the daemon's own cycle (at start, every <see cref="Interval"/>,
/// and after each job) and never by a request: a request only reads the last page and JSON, already encoded.
/// </summary>
internal sealed class DashboardState : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);

    private readonly Func<CancellationToken, Task<StatusReport>> _report;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TaskCompletionSource<Snapshot> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Snapshot? _current;

    public DashboardState(Func<CancellationToken, Task<StatusReport>> report, TimeProvider time)
    {
        _report = report;
        _time = time;
    }

    /// <summary>The page, the JSON and the report they were made from; null until the first refresh finished.</summary>
    public sealed record Snapshot(StatusReport Report, byte[] Page, byte[] Json);

    public Snapshot? Current => _current;

    /// <summary>The current state, or the first one once made (a request right after start waits for it).</summary>
    public Task<Snapshot> ReadyAsync(CancellationToken cancellationToken) =>
        _current is { } current ? Task.FromResult(current) : _first.Task.WaitAsync(cancellationToken);

    /// <summary>Raised when a refresh failed (the last good state stays served).</summary>
    public event Action<string>? Failed;

    /// <summary>Raised after each refresh that succeeded, and after the memory it left was returned.</summary>
    public event Action? Refreshed;

    public void Dispose() => _wake.Dispose();

    /// <summary>Asks for a refresh soon (after a job finished).</summary>
    public void Poke()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // one refresh is already due
        }
        catch (ObjectDisposedException)
        {
            // the daemon is stopping
        }
    }

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var report = await _report(cancellationToken).ConfigureAwait(false);
        var page = Encoding.UTF8.GetBytes(DashboardPage.Render(report, standalone: false, (int)Interval.TotalSeconds));
        var json = JsonSerializer.SerializeToUtf8Bytes(report, CliJson.TypeInfo<StatusReport>());
        _current = new Snapshot(report, page, json);
        _first.TrySetResult(_current);
        Compact();
        Refreshed?.Invoke();
    }

    /// <summary>
    /// A refresh (the first reads every manifest once) and the jobs before it leave their garbage in regions that the
    /// GC keeps committed for the next allocations. The daemon then idles until the next refresh, so it can afford a
    /// full compacting collection that gives them back to the system.
    /// </summary>
    private static void Compact() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    /// <summary>Refreshes now, then every <see cref="Interval"/> or when poked, until stopped.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await RefreshAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                // Whatever failed, the last good state stays served and the next cycle tries again: an exception
                // left to end this loop would freeze the page and surface only as the daemon's exit code at stop.
                Failed?.Invoke($"dashboard refresh failed: {e.Message}");
            }
            using var timeout = new CancellationTokenSource(Interval, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stopping);
            try
            {
                await _wake.WaitAsync(either.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                // the interval passed
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
