using System.Runtime.ExceptionServices;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'backup-age': how old the newest snapshot of each database is, against 'check.backup-age-warning' and
/// '-critical'; no backup at all is CRITICAL. It also reports a snapshot listing that failed.
/// </summary>
internal sealed class BackupAgeCheck : IHealthCheck
{
    public string Name => HealthCheckNames.BackupAge;

    public Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult(Find(context));

    private HealthFinding? Find(HealthCheckContext context)
    {
        if (context.SnapshotsError is { } error)
            ExceptionDispatchInfo.Throw(error);
        if (context.Snapshots is not { } summaries)
            return null;
        var warning = context.Settings.BackupAgeWarningValue;
        var critical = context.Settings.BackupAgeCriticalValue;
        // A configured source without any backup is CRITICAL by itself; the others keep their own verdict.
        var bulwark = context.Bulwark;
        var missing = bulwark.Settings.Sources.Count == 0 ? []
            : (bulwark.Source is { } only ? [only] : bulwark.Sources)
            .Where(source => summaries.All(s => s.SourceName != source.Name))
            .Select(source => SourceBackupAge.Evaluate(source.Name, null, context.Now, warning, critical).Summary)
            .ToList();
        if (summaries.Count == 0 && missing.Count > 0)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Critical,
                Summary = string.Join("; ", missing),
                Advice = "run 'bulwark backup', and schedule it ('bulwark daemon' or 'bulwark schedule install')",
                Metrics = [new HealthMetric("snapshots", 0, Min: 0)],
            };
        if (summaries.Count == 0)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Critical,
                Summary = "the repository holds no backup yet",
                Advice = "run 'bulwark backup', and schedule it ('bulwark daemon' or 'bulwark schedule install')",
                Metrics = [new HealthMetric("snapshots", 0, Min: 0)],
            };
        var newest = summaries.GroupBy(s => s.Group, StringComparer.Ordinal)
            .Select(g => g.MaxBy(s => s.Time)!)
            .Select(s => (Snapshot: s, Age: context.Now - s.Time))
            .OrderByDescending(x => x.Age)
            .ToList();
        HealthStatus StatusOf(TimeSpan age) =>
            critical is { } c && age > c ? HealthStatus.Critical
            : warning is { } w && age > w ? HealthStatus.Warning
            : HealthStatus.Ok;
        var status = HealthStatuses.Worst(newest.Select(x => StatusOf(x.Age)).Concat(missing.Select(_ => HealthStatus.Critical)));
        var oldest = newest[0];
        string summary;
        if (status == HealthStatus.Ok)
        {
            summary = string.Join(", ", newest.OrderBy(x => x.Age).Select(x => $"last backup {HealthText.Age(x.Age)} ago ({x.Snapshot.Label})"));
        }
        else
        {
            summary = string.Join("; ", missing.Concat(newest.Where(x => StatusOf(x.Age) != HealthStatus.Ok).Select(x =>
            {
                var limit = StatusOf(x.Age) == HealthStatus.Critical ? critical : warning;
                return $"the last backup of {x.Snapshot.Label} is {HealthText.Age(x.Age)} old ({x.Snapshot.Time:yyyy-MM-dd HH:mm}Z; {StatusOf(x.Age).Label().ToLowerInvariant()} above {HealthText.Age(limit!.Value)})";
            })));
        }
        return new HealthFinding
        {
            Check = Name,
            Status = status,
            Summary = summary,
            Advice = status == HealthStatus.Ok ? null
                : "check that scheduled backups run and succeed: 'bulwark log --errors', 'bulwark schedule show'; a database no longer backed up leaves with 'bulwark cleanup'",
            Metrics =
            [
                new HealthMetric("backup_age", Math.Round(oldest.Age.TotalSeconds), "s", warning?.TotalSeconds, critical?.TotalSeconds, 0),
                new HealthMetric("snapshots", summaries.Count, Min: 0),
                .. SourceMetrics(context, summaries, warning, critical),
            ],
        };
    }

    /// <summary>With 'sources:', the age of each source's newest snapshot and its count (a source without any has only the count).</summary>
    private static IEnumerable<HealthMetric> SourceMetrics(HealthCheckContext context, IReadOnlyList<Catalog.SnapshotSummary> summaries,
        TimeSpan? warning, TimeSpan? critical)
    {
        var bulwark = context.Bulwark;
        if (bulwark.Settings.Sources.Count == 0)
            return [];
        return (bulwark.Source is { } only ? [only] : bulwark.Sources).SelectMany(source =>
        {
            var own = summaries.Where(s => s.SourceName == source.Name).ToList();
            var metrics = new List<HealthMetric>();
            if (own.Count > 0)
                metrics.Add(new HealthMetric("backup_age", Math.Round((context.Now - own.Max(s => s.Time)).TotalSeconds), "s",
                    warning?.TotalSeconds, critical?.TotalSeconds, 0, Source: source.Name));
            metrics.Add(new HealthMetric("snapshots", own.Count, Min: 0, Source: source.Name));
            return metrics;
        });
    }
}
