using Bulwark.Operations.Catalog;
using Bulwark.Operations.Modules;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Versioning.Modules;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'modules': the versions of the modules on disk against those of the last snapshot that recorded modules, when
/// 'modules.paths' is set: content changed without a version bump, a downgrade, or no version.
/// </summary>
internal sealed class ModulesCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Modules;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        context is { Repository: { } repository, Snapshots: { } summaries } && context.Bulwark.Settings.Modules.Paths.Count > 0
            ? await CheckAsync(context.Bulwark, repository, summaries, cancellationToken).ConfigureAwait(false)
            : null;

    private async Task<HealthFinding> CheckAsync(BulwarkContext bulwark, BackupRepository repository,
        IReadOnlyList<SnapshotSummary> summaries, CancellationToken cancellationToken)
    {
        var modules = new ModulesOperation(bulwark);
        IReadOnlyList<ModuleRecord> current;
        try
        {
            current = await modules.Scanner().ScanAsync(modules.SelectFiles(), cancellationToken).ConfigureAwait(false);
        }
        catch (BulwarkException e) when (e.Kind is ErrorKind.Configuration or ErrorKind.Usage)
        {
            return new HealthFinding { Check = Name, Status = HealthStatus.Warning, Summary = e.Message, Advice = e.Advice };
        }
        var previous = summaries.LastOrDefault(s => s.HasModules);
        var recorded = previous is null
            ? null
            : (await repository.LoadSnapshotAsync(ObjectId.Parse(previous.Id), cancellationToken).ConfigureAwait(false)).Manifest.Modules;
        var problems = ModuleComparison.Compare(recorded, current).Where(c => c.IsProblem).ToList();
        var metrics = new HealthMetric[] { new("module_conflicts", problems.Count, Warning: 0, Min: 0) };
        var ok = problems.Count == 0;
        return new HealthFinding
        {
            Check = Name,
            Status = ok ? HealthStatus.Ok : HealthStatus.Warning,
            Summary = ok
                ? $"{HealthText.Count(current.Count, "module")}, no version conflict{(previous is null ? "" : $" against snapshot {previous.ShortId}")}"
                : HealthText.FirstFew(problems.Select(p => $"{p.Path}: {p.Describe()}").ToList()),
            Advice = ok ? null : "raise the version in the module's header when its content changes ('bulwark modules' shows every module)",
            Metrics = metrics,
        };
    }
}
