using Bulwark.Operations.Rulesets;
using Bulwark.Repository;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Health.Checks;

/// <summary>'rulesets': each environment's file against the SHA-256 of its active version, once a ruleset is registered and activated.</summary>
internal sealed class RulesetsCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Rulesets;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        context.Repository is { } repository ? await CheckAsync(context.Bulwark, repository, cancellationToken).ConfigureAwait(false) : null;

    private async Task<HealthFinding?> CheckAsync(BulwarkContext bulwark, BackupRepository repository, CancellationToken cancellationToken)
    {
        var names = await RulesetRegistry.ListNamesAsync(repository, cancellationToken).ConfigureAwait(false);
        if (names.Count == 0)
            return null;
        var result = await new RulesetOperations(bulwark).VerifyAllAsync(cancellationToken).ConfigureAwait(false);
        var activated = result.Checks.Where(c => c.Status != RulesetFileStatus.NotActivated).ToList();
        if (activated.Count == 0)
            return null;
        var problems = result.Problems.ToList();
        var metrics = new HealthMetric[] { new("ruleset_drift", problems.Count, Warning: 0, Min: 0) };
        var ok = problems.Count == 0;
        return new HealthFinding
        {
            Check = Name,
            Status = ok ? HealthStatus.Ok : HealthStatus.Warning,
            Summary = ok
                ? $"{HealthText.Count(activated.Count, "environment file")} match{(activated.Count == 1 ? "es" : "")} the active version"
                : HealthText.FirstFew(problems.Select(p => $"{p.Ruleset}/{p.Environment}: {p.Describe()}").ToList()),
            Advice = ok ? null
                : "register the change ('bulwark ruleset create') and activate it, or restore the active version ('bulwark ruleset activate VERSION --env ENV --force')",
            Metrics = metrics,
        };
    }
}
