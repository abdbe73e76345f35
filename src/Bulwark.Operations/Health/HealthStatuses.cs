namespace Bulwark.Operations.Health;

/// <summary>Ordering and names of <see cref="HealthStatus"/>.</summary>
public static class HealthStatuses
{
    /// <summary>How bad a status is: OK &lt; WARNING &lt; UNKNOWN &lt; CRITICAL (a check that could not run is worse than a warning).</summary>
    public static int Severity(this HealthStatus status) => status switch
    {
        HealthStatus.Ok => 0,
        HealthStatus.Warning => 1,
        HealthStatus.Unknown => 2,
        _ => 3,
    };

    public static HealthStatus Worst(IEnumerable<HealthStatus> statuses) =>
        statuses.DefaultIfEmpty(HealthStatus.Ok).MaxBy(Severity);

    /// <summary>"OK", "WARNING", "CRITICAL", "UNKNOWN".</summary>
    public static string Label(this HealthStatus status) => status.ToString().ToUpperInvariant();
}
