namespace Bulwark.Operations.Health;

/// <summary>Options of one health check.</summary>
public sealed record HealthCheckRequest
{
    /// <summary>Percentage of the newest snapshot's chunks to read back and check; null: 'check.read-data-subset'.</summary>
    public double? ReadDataSubset { get; init; }

    /// <summary>Skip the integrity check, which lists every chunk (the daemon's frequent refresh of /health).</summary>
    public bool Quick { get; init; }
}
