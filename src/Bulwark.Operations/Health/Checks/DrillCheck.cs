using Bulwark.Operations.Catalog;
using Bulwark.Operations.Configuration;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Health.Checks;

/// <summary>'drill': the newest restore drill, once drills exist: whether it passed, and its age against 'check.drill-age-warning'.</summary>
internal sealed class DrillCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Drill;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        context.Catalog is { } catalog ? await CheckAsync(catalog, context.Now, context.Settings, cancellationToken).ConfigureAwait(false) : null;

    private async Task<HealthFinding?> CheckAsync(SnapshotCatalog catalog, DateTimeOffset now, CheckConfig settings, CancellationToken cancellationToken)
    {
        var proofs = await catalog.ProofsAsync(cancellationToken).ConfigureAwait(false);
        var last = proofs.Where(p => p.Kind == ProofRecord.Drill).MaxBy(p => p.Time);
        if (last is null)
            return null;
        var age = now - last.Time;
        var warning = settings.DrillAgeWarningValue;
        var shortId = last.Snapshot.Length > 8 ? last.Snapshot[..8] : last.Snapshot;
        var metrics = new HealthMetric[]
        {
            new("drill_age", Math.Round(age.TotalSeconds), "s", warning?.TotalSeconds, Min: 0),
            new("drill_passed", last.Passed ? 1 : 0, Min: 0, Max: 1),
        };
        if (!last.Passed)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Critical,
                Summary = $"the last restore drill ({HealthText.Age(age)} ago, snapshot {shortId}) failed: {last.Summary ?? "no details"}",
                Advice = $"run 'bulwark test-restore {shortId}' to see the differences; until a drill passes, do not rely on this snapshot",
                Metrics = metrics,
            };
        if (warning is { } w && age > w)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Warning,
                Summary = $"the last restore drill ran {HealthText.Age(age)} ago (warning above {HealthText.Age(w)}); it passed on snapshot {shortId}",
                Advice = "run 'bulwark test-restore', and schedule it ('schedule.drill' in bulwark.yml)",
                Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatus.Ok,
            Summary = $"last restore drill {HealthText.Age(age)} ago passed (snapshot {shortId})",
            Metrics = metrics,
        };
    }
}
