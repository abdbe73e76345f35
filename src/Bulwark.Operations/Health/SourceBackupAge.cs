using Bulwark.Operations.Catalog;

namespace Bulwark.Operations.Health;

/// <summary>The backup-age verdict of one source: its newest snapshot's age against the thresholds of 'check:'.</summary>
public static class SourceBackupAge
{
    /// <param name="newest">The source's newest snapshot; null when it has none (CRITICAL).</param>
    public static (HealthStatus Status, string Summary) Evaluate(string source, SnapshotSummary? newest, DateTimeOffset now,
        TimeSpan? warning, TimeSpan? critical)
    {
        if (newest is null)
            return (HealthStatus.Critical, $"source {source} has no backup yet");
        var age = now - newest.Time;
        var status = critical is { } c && age > c ? HealthStatus.Critical
            : warning is { } w && age > w ? HealthStatus.Warning
            : HealthStatus.Ok;
        var limit = status == HealthStatus.Critical ? critical : warning;
        return (status, status == HealthStatus.Ok
            ? $"last backup of {source} {HealthText.Age(age)} ago"
            : $"the last backup of {source} is {HealthText.Age(age)} old ({newest.Time:yyyy-MM-dd HH:mm}Z; {status.Label().ToLowerInvariant()} above {HealthText.Age(limit!.Value)})");
    }
}
