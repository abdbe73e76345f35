using Bulwark.Operations.Wal;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'wal-gaps': segments missing from the archive between the oldest kept base backup's start (before any base backup:
/// the oldest archived segment) and the newest archived segment, along the timeline history. A gap is CRITICAL: no
/// recovery goes past it. Absent while the repository holds no WAL.
/// </summary>
internal sealed class WalGapsCheck : IHealthCheck
{
    public string Name => HealthCheckNames.WalGaps;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (await context.WalAsync(cancellationToken).ConfigureAwait(false) is not { Segments.Count: > 0 } wal)
            return null;
        var oldestBase = context.Snapshots?.Where(s => s.IsPhysical).OrderBy(s => s.Time)
            .Select(WalInventory.StartOf).FirstOrDefault(s => s is not null);
        if ((oldestBase ?? wal.OldestStart()) is not { } start)
            return null;
        var from = oldestBase is null ? "the oldest archived segment" : "the oldest base backup";
        var gaps = wal.Gaps(start);
        var missing = gaps.Sum(g => g.Count);
        var metrics = new[] { new HealthMetric("wal_missing_segments", missing, Critical: 0, Min: 0) };
        if (gaps.Count == 0)
            return new HealthFinding
            {
                Check = Name, Status = HealthStatus.Ok, Summary = $"no gap in the WAL archive since {from}", Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatus.Critical,
            Summary = $"{missing} WAL segment(s) missing since {from}: {string.Join(", ", gaps.Take(5))}{(gaps.Count > 5 ? ", …" : "")}; recovery cannot pass the first gap",
            Advice = "if the server still has them in pg_wal, push them ('bulwark wal push pg_wal/NAME'); otherwise take a base backup now ('bulwark backup --physical') so that recovery starts after the gap",
            Metrics = metrics,
        };
    }
}
