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
