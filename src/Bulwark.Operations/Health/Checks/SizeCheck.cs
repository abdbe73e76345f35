using Bulwark.Operations.Catalog;
using Bulwark.Operations.Configuration;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'size': the newest backup of each database against the median of the 'check.size-window' before it. A much
/// smaller dump is the classic silent failure (the wrong database, missing permissions).
/// </summary>
internal sealed class SizeCheck : IHealthCheck
{
    /// <summary>A median needs at least this many earlier backups.</summary>
    public const int MinimumHistory = 3;

    public string Name => HealthCheckNames.Size;

    public Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult(context.Snapshots is { } summaries ? Find(context.Settings, summaries) : null);

    private HealthFinding Find(CheckConfig settings, IReadOnlyList<SnapshotSummary> summaries)
    {
        var dropWarning = settings.SizeDropWarningValue;
        var dropCritical = settings.SizeDropCriticalValue;
        var growthWarning = settings.SizeGrowthWarningValue;
        var problems = new List<(HealthStatus Status, string Text, bool Drop)>();
        var notes = new List<string>();
        var metrics = new List<HealthMetric>();
        foreach (var group in summaries.GroupBy(s => s.Group, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(s => s.Time).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
            var latest = ordered[^1];
            var label = latest.Label;
            var before = ordered.Take(ordered.Count - 1).TakeLast(settings.SizeWindow).Select(s => s.Size).ToList();
            if (before.Count < MinimumHistory)
            {
                notes.Add($"{label}: {HealthText.Count(ordered.Count, "backup")}, too few to judge");
                continue;
            }
            var median = Median(before);
            if (metrics.Count == 0)
            {
                metrics.Add(new HealthMetric("backup_size", latest.Size, "B", Min: 0));
                metrics.Add(new HealthMetric("backup_size_median", median, "B", Min: 0));
            }
            if (median <= 0)
            {
                notes.Add($"{label}: earlier backups are empty");
                continue;
            }
            var ratio = latest.Size / median;
            var drop = (1 - ratio) * 100;
            var growth = (ratio - 1) * 100;
            var comparison = $"the newest backup of {label} ({latest.ShortId}, {HealthText.Bytes(latest.Size)}) is";
            var reference = $"the median of the {before.Count} before it ({HealthText.Bytes((long)median)})";
            if (dropCritical is { } dc && drop >= dc)
                problems.Add((HealthStatus.Critical, $"{comparison} {HealthText.Percent(drop)} smaller than {reference}", true));
            else if (dropWarning is { } dw && drop >= dw)
                problems.Add((HealthStatus.Warning, $"{comparison} {HealthText.Percent(drop)} smaller than {reference}", true));
            else if (growthWarning is { } gw && growth >= gw)
                problems.Add((HealthStatus.Warning, $"{comparison} {HealthText.Percent(growth)} larger than {reference}", false));
            else
                notes.Add($"{label}: {HealthText.Bytes(latest.Size)}, {(ratio >= 1 ? "+" : "")}{HealthText.Percent((ratio - 1) * 100)} against the median of {before.Count}");
        }
        if (problems.Count == 0)
            return new HealthFinding
            {
                Check = Name, Status = HealthStatus.Ok,
                Summary = notes.Count == 0 ? "no backup to compare yet" : string.Join("; ", notes), Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatuses.Worst(problems.Select(p => p.Status)),
            Summary = string.Join("; ", problems.Select(p => p.Text)),
            Advice = problems.Any(p => p.Drop)
                ? "a much smaller dump often means the wrong database, missing permissions, or data that was deleted: look at 'bulwark show latest', compare with the source, and run a restore drill"
                : "check that the growth is expected (a data import, a new table); 'bulwark show latest' lists the streams",
            Metrics = metrics,
        };
    }

    private static double Median(List<long> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }
}
