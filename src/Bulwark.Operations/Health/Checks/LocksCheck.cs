using Bulwark.Repository;
using Bulwark.Repository.Locking;

namespace Bulwark.Operations.Health.Checks;

/// <summary>'locks': stale repository locks, left by an operation that crashed or was killed.</summary>
internal sealed class LocksCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Locks;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        context.Repository is { } repository ? await CheckAsync(repository, cancellationToken).ConfigureAwait(false) : null;

    private async Task<HealthFinding> CheckAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var locks = await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false);
        var stale = locks.Where(l => l.Stale).ToList();
        var running = locks.Count - stale.Count;
        var metrics = new HealthMetric[] { new("stale_locks", stale.Count, Warning: 0, Min: 0), new("running_operations", running, Min: 0) };
        if (stale.Count == 0)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Ok,
                Summary = running == 0 ? "no locks" : $"{HealthText.Count(running, "operation")} running: {string.Join("; ", locks.Take(3).Select(l => l.Info.Describe()))}",
                Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatus.Warning,
            Summary = $"{HealthText.Count(stale.Count, "stale lock")} (an operation crashed or was killed): {string.Join("; ", stale.Take(3).Select(l => l.Info.Describe()))}",
            Advice = "run 'bulwark unlock' to remove them; then 'bulwark verify' if it was a backup or a cleanup",
            Metrics = metrics,
        };
    }
}
