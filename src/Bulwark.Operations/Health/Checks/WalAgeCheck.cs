namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'wal-age': how long ago the newest WAL segment was archived, against 'check.wal-age-warning' (15min) and
/// '-critical' (60min). With archive_timeout set, a server switches segments at least that often even when idle, so a
/// quiet archive means archiving stopped. Absent while the repository holds no WAL.
/// </summary>
internal sealed class WalAgeCheck : IHealthCheck
{
    public string Name => HealthCheckNames.WalAge;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (await context.WalAsync(cancellationToken).ConfigureAwait(false) is not { NewestSegment: { } newest } wal)
            return null;
        var warning = context.Settings.WalAgeWarningValue;
        var critical = context.Settings.WalAgeCriticalValue;
        var age = context.Now - newest.Archived;
        if (age < TimeSpan.Zero)
            age = TimeSpan.Zero;
        var status = critical is { } c && age > c ? HealthStatus.Critical
            : warning is { } w && age > w ? HealthStatus.Warning
            : HealthStatus.Ok;
        var limit = status == HealthStatus.Critical ? critical : warning;
        return new HealthFinding
        {
            Check = Name,
            Status = status,
            Summary = status == HealthStatus.Ok
                ? $"last WAL segment archived {HealthText.Age(age)} ago ({newest.File.Name})"
                : $"the last WAL segment was archived {HealthText.Age(age)} ago ({newest.File.Name}; {status.Label().ToLowerInvariant()} above {HealthText.Age(limit!.Value)})",
            Advice = status == HealthStatus.Ok ? null
                : "check the server's archiver: SELECT * FROM pg_stat_archiver (failed_count, last_failed_wal), its log, and 'bulwark log --errors'; set archive_timeout so that an idle server still switches segments",
            Metrics =
            [
                new HealthMetric("wal_age", Math.Round(age.TotalSeconds), "s", warning?.TotalSeconds, critical?.TotalSeconds, 0),
                new HealthMetric("wal_segments", wal.Segments.Count, Min: 0),
            ],
        };
    }
}
