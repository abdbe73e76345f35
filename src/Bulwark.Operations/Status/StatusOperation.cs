using System.Globalization;
using Bulwark.Operations.Catalog;
using Bulwark.Operations.Health;
using Bulwark.Operations.Modules;
using Bulwark.Operations.Rulesets;
using Bulwark.Operations.Scheduling;
using Bulwark.Repository;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Status;

/// <summary>
/// 'bulwark status': the last backup, the trend of the last 30, the next scheduled runs, what retention keeps, and
/// health. Reads through the snapshot cache, so it stays quick however many snapshots there are.
/// </summary>
public sealed class StatusOperation
{
    public const int TrendLength = 30;
    /// <summary>How far back the dashboard's charts reach.</summary>
    public const int HistoryDays = 90;
    private readonly BulwarkContext _context;

    public StatusOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <param name="health">A recent report to show (the daemon's); null runs a quick check.</param>
    public async Task<StatusReport> RunAsync(HealthReport? health, CancellationToken cancellationToken)
    {
        var now = _context.Time.GetUtcNow();
        var errors = new List<string>();
        var schedule = JobSchedule.FromConfig(_context.Settings.Schedule, _context.Time);
        var states = JobStateStore.For(_context);
        var jobs = schedule.Jobs.Select(j => new JobStatus(j.Name, j.Expression, schedule.NextAfter(j, now), null, states.Read(j.Name))).ToList();
        IReadOnlyList<SnapshotSummary> summaries = [];
        RetentionStatus? retention = null;
        IReadOnlyList<DrillStatus> drills = [];
        IReadOnlyList<RulesetStatus> rulesets = [];
        string? repositoryDisplay = null;
        try
        {
            repositoryDisplay = _context.RepositoryDisplay;
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            var catalog = new SnapshotCatalog(repository, _context.Config.StateDirectory);
            summaries = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
            var proofs = await catalog.ProofsAsync(cancellationToken).ConfigureAwait(false);
            retention = RetentionOf(proofs, summaries, now);
            drills = proofs.Where(p => p.Kind == ProofRecord.Drill && p.Time >= now.AddDays(-HistoryDays))
                .Select(p => new DrillStatus(p.Snapshot, p.Time, p.Passed,
                    p.Details?.GetValueOrDefault("restoreSeconds") is { } seconds &&
                    double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null,
                    p.Summary))
                .OrderBy(d => d.Time).ToList();
            rulesets = await RulesetsAsync(repository, errors, cancellationToken).ConfigureAwait(false);
        }
        catch (BulwarkException e)
        {
            errors.Add(e.Message);
        }
        health ??= await new HealthCheckOperation(_context).RunAsync(new HealthCheckRequest { Quick = true }, cancellationToken).ConfigureAwait(false);
        var last = summaries.Count == 0 ? null : summaries[^1];
        var modules = await ModuleProblemsAsync(errors, cancellationToken).ConfigureAwait(false);
        return new StatusReport
        {
            Time = now,
            Repository = repositoryDisplay,
            LastBackup = last,
            Snapshots = summaries.Count,
            Databases = summaries.GroupBy(s => s.Group, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Recent = last is null ? [] : summaries.Where(s => s.Group == last.Group).TakeLast(TrendLength).ToList(),
            History = summaries.Where(s => s.Time >= now.AddDays(-HistoryDays)).ToList(),
            BackupAgeWarning = _context.Settings.Check.BackupAgeWarningValue,
            BackupAgeCritical = _context.Settings.Check.BackupAgeCriticalValue,
            Drills = drills,
            TimeZone = schedule.TimeZone.Id,
            Jobs = jobs,
            Retention = retention,
            Health = health,
            Rulesets = rulesets,
            ModuleConflicts = modules,
            Errors = errors,
        };
    }

    /// <summary>Each configured ruleset that has versions: the active version per environment and the last activations.</summary>
    private async Task<IReadOnlyList<RulesetStatus>> RulesetsAsync(BackupRepository repository, List<string> errors,
        CancellationToken cancellationToken)
    {
        var operations = new RulesetOperations(_context);
        var result = new List<RulesetStatus>();
        foreach (var name in _context.Settings.Rulesets.Keys.Order(StringComparer.Ordinal))
        {
            IReadOnlyList<RulesetActivationRecord> history;
            try
            {
                history = await new RulesetRegistry(repository, operations.OptionsFor(name)).GetHistoryAsync(null, cancellationToken).ConfigureAwait(false);
            }
            catch (BulwarkException e)
            {
                errors.Add($"ruleset {name}: {e.Message}");
                continue;
            }
            if (history.Count == 0)
                continue;
            var environments = history.GroupBy(h => h.Environment, StringComparer.Ordinal)
                .Select(g => g.MaxBy(h => h.Sequence)!)
                .Select(h => new RulesetEnvironmentStatus(h.Environment, h.Version, h.Time))
                .OrderBy(e => e.Environment, StringComparer.Ordinal).ToList();
            result.Add(new RulesetStatus(name, environments, history.OrderByDescending(h => h.Sequence).Take(RecentActivations).ToList()));
        }
        return result;
    }

    private const int RecentActivations = 10;

    /// <summary>Modules on disk compared with the last snapshot that recorded them: conflicts, downgrades, missing versions.</summary>
    private async Task<IReadOnlyList<ModuleProblem>> ModuleProblemsAsync(List<string> errors, CancellationToken cancellationToken)
    {
        if (_context.Settings.Modules.Paths.Count == 0)
            return [];
        try
        {
            var report = await new ModulesOperation(_context).CompareAsync(null, cancellationToken).ConfigureAwait(false);
            return report.Problems.Select(p => new ModuleProblem(p.Path, p.Kind.ToString(), p.Describe())).ToList();
        }
        catch (BulwarkException e)
        {
            errors.Add($"modules: {e.Message}");
            return [];
        }
    }

    private RetentionStatus RetentionOf(IReadOnlyList<ProofRecord> proofs, IReadOnlyList<SnapshotSummary> summaries, DateTimeOffset now)
    {
        RetentionPolicy policy;
        try
        {
            policy = _context.Settings.Retention.ToPolicy(_context.Config, "retention", _context.Time);
        }
        catch (BulwarkException e)
        {
            return new RetentionStatus("", 0, 0, null, e.Message);
        }
        // The evaluator needs only times, databases and tags: manifests without streams stand in for the real ones.
        var snapshots = summaries.Select(s => new Snapshot(ObjectId.Parse(s.Id), new SnapshotManifest
        {
            Time = s.Time,
            EndTime = s.EndTime,
            Host = s.Host,
            Tags = s.Tags,
            Source = new SourceInfo { Kind = s.SourceKind, Database = s.Database },
            Streams = [],
        })).ToList();
        var plan = RetentionEvaluator.Evaluate(snapshots, proofs, now, policy);
        var kept = plan.Kept.ToList();
        return new RetentionStatus(policy.Describe(), kept.Count, plan.Decisions.Count - kept.Count,
            kept.Count == 0 ? null : kept.Min(d => d.Snapshot.Manifest.Time),
            plan.RulesKeepNothing ? "the policy keeps none of the snapshots: cleanup refuses to run (exit 9)" : null,
            plan.Decisions.OrderBy(d => d.Snapshot.Manifest.Time)
                .Select(d => new RetentionDecision(d.Snapshot.Id.ToString(), d.Snapshot.Manifest.Time, d.Group, d.Keep, d.Reasons)).ToList());
    }
}
