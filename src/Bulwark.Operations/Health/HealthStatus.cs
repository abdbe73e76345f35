namespace Bulwark.Operations.Health;

/// <summary>
/// The monitoring-plugin states; the value is the exit code of 'bulwark check' (0 OK, 1 WARNING, 2 CRITICAL,
/// 3 UNKNOWN).
/// </summary>
public enum HealthStatus
{
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

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
