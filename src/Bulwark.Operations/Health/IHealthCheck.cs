namespace Bulwark.Operations.Health;

/// <summary>
/// One health check: looks at one thing and says how it is. A check reads only; it may throw, and
/// <see cref="HealthCheckRunner"/> turns what it throws into its finding.
/// </summary>
internal interface IHealthCheck
{
    /// <summary>The check's name (<see cref="HealthCheckNames"/>), also the name of what it finds.</summary>
    string Name { get; }

    /// <summary>
    /// The finding, or null when there is nothing to say: what the check needs is missing (no repository, a quick
    /// check) or the thing it watches is not in use (no drill yet, no ruleset registered).
    /// </summary>
    Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken);
}
