namespace Bulwark.Operations.Health;

/// <summary>What one check found: its status, one line for people, what to do, and the numbers behind it.</summary>
public sealed record HealthFinding
{
    /// <summary>The check's name, one of <see cref="HealthCheckNames"/>.</summary>
    public required string Check { get; init; }
    public required HealthStatus Status { get; init; }
    public required string Summary { get; init; }
    public string? Advice { get; init; }
    public IReadOnlyList<HealthMetric> Metrics { get; init; } = [];
}
