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

    /// <summary>How far back <see cref="SourceStatus.History"/> reaches.</summary>
    public static readonly TimeSpan HistoryLength = TimeSpan.FromDays(90);
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
        // Jobs belong to the whole configuration, also in one source's status.
        var schedule = JobSchedule.FromConfig(_context.Whole.Settings, _context.Time);
        var states = JobStateStore.For(_context.Whole);
        var jobs = schedule.Jobs.Select(j => new JobStatus(j.Name, j.Expression, schedule.NextAfter(j, now), null, states.Read(j.Name))).ToList();
        IReadOnlyList<SnapshotSummary> summaries = [];
        RetentionStatus? retention = null;
        Wal.PitrWindow? pitr = null;
        Wal.WalInventory? wal = null;
        var retentionBySource = new Dictionary<string, RetentionStatus>(StringComparer.Ordinal);
        IReadOnlyList<DrillStatus> drills = [];
        IReadOnlyList<RulesetStatus> rulesets = [];
        string? repositoryDisplay = null;
        try
        {
            repositoryDisplay = _context.RepositoryDisplay;
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            var catalog = new SnapshotCatalog(repository, _context.Config.StateDirectory);
            summaries = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
            // 'status --source': that source's snapshots only.
            if (_context.SnapshotFilter is not null)
                summaries = summaries.Where(s => s.SourceName == _context.Source!.Name).ToList();
            var proofs = await catalog.ProofsAsync(cancellationToken).ConfigureAwait(false);
            drills = proofs.Where(p => p.Kind == ProofRecord.Drill && now - p.Time <= HistoryLength)
                .Select(p => new DrillStatus(p.Snapshot, p.Time, p.Passed,
                    p.Details?.GetValueOrDefault("restoreSeconds") is { } seconds &&
                    double.TryParse(seconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null,
                    p.Summary))
                .OrderBy(d => d.Time).ToList();
            rulesets = await RulesetsAsync(repository, errors, cancellationToken).ConfigureAwait(false);
            if (_context.Settings.Sources.Count == 0)
            {
                retention = Retention(_context.Settings.Retention, "retention", summaries, proofs, now);
            }
            else
            {
                // Each source by its own policy; snapshots of a source no longer configured by the top-level one.
                var configured = _context.Sources.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var source in Selected())
                {
                    retentionBySource[source.Name] = Retention(source.Settings.Retention,
                        source.KeyOf("retention", source.Settings.Retention != _context.Settings.Retention),
                        summaries.Where(s => s.SourceName == source.Name).ToList(), proofs, now);
                }
                foreach (var group in summaries.Where(s => !configured.Contains(s.SourceName)).GroupBy(s => s.SourceName, StringComparer.Ordinal))
                    retentionBySource[group.Key] = Retention(_context.Settings.Retention, "retention", group.ToList(), proofs, now);
                retention = Combine(retentionBySource.Values.ToList());
            }
            if (summaries.Any(s => s.IsPhysical))
            {
                wal = await Wal.WalInventory.LoadAsync(repository, cancellationToken).ConfigureAwait(false);
                pitr = wal.Window(summaries);
            }
        }
        catch (BulwarkException e)
        {
            errors.Add(e.Message);
        }
        health ??= await new HealthCheckOperation(_context).RunAsync(new HealthCheckRequest { Quick = true }, cancellationToken).ConfigureAwait(false);
        var last = summaries.Count == 0 ? null : summaries[^1];
        var sources = Sources(summaries, jobs, retention, retentionBySource, drills, wal, now);
        var modules = await ModuleProblemsAsync(errors, cancellationToken).ConfigureAwait(false);
        return new StatusReport
        {
            Time = now,
            Repository = repositoryDisplay,
            LastBackup = last,
            Snapshots = summaries.Count,
            Databases = summaries.GroupBy(s => s.Label, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Recent = last is null ? [] : summaries.Where(s => s.Group == last.Group).TakeLast(TrendLength).ToList(),
            TimeZone = schedule.TimeZone.Id,
            Jobs = jobs,
            Retention = retention,
            Pitr = pitr,
            Sources = sources,
            Health = health,
            Rulesets = rulesets,
            ModuleConflicts = modules,
            Errors = errors,
        };
    }

    /// <summary>The status of every configured source, then of sources that only the repository holds snapshots of.</summary>
    private List<SourceStatus> Sources(IReadOnlyList<SnapshotSummary> summaries, IReadOnlyList<JobStatus> jobs,
        RetentionStatus? retention, Dictionary<string, RetentionStatus> retentionBySource, IReadOnlyList<DrillStatus> drills,
        Wal.WalInventory? wal, DateTimeOffset now)
    {
        var sourceOf = summaries.ToDictionary(s => s.Id, s => s.SourceName, StringComparer.Ordinal);
        var check = _context.Settings.Check;
        var named = _context.Settings.Sources.Count > 0;
        var bySource = summaries.GroupBy(s => s.SourceName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var names = Selected().Select(s => (s.Name, Configured: true))
            .Concat(bySource.Keys.Where(k => _context.Sources.All(s => s.Name != k)).Order(StringComparer.Ordinal).Select(k => (Name: k, Configured: false)));
        var result = new List<SourceStatus>();
        foreach (var (name, configured) in names)
        {
            var own = bySource.TryGetValue(name, out var list) ? list : [];
            var newest = own.Count == 0 ? null : own[^1];
            var ids = own.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var (status, summary) = SourceBackupAge.Evaluate(name, newest, now, check.BackupAgeWarningValue, check.BackupAgeCriticalValue);
            result.Add(new SourceStatus
            {
                Name = name,
                Configured = configured,
                LastBackup = newest,
                LastBackupAge = newest is null ? null : now - newest.Time,
                BackupAgeStatus = status,
                BackupAgeSummary = summary,
                BackupAgeWarning = check.BackupAgeWarningValue,
                BackupAgeCritical = check.BackupAgeCriticalValue,
                Snapshots = own.Count,
                Recent = own.TakeLast(TrendLength).ToList(),
                History = own.Where(s => now - s.Time <= HistoryLength).ToList(),
                Drills = drills.Where(d => sourceOf.GetValueOrDefault(d.Snapshot) == name).ToList(),
                Jobs = jobs.Where(j => named
                    ? JobNames.TrySplit(j.Job, out _, out var source) && source == name
                    : configured && JobNames.PerSource.Contains(j.Job)).ToList(),
                Pitr = wal?.Window(own),
                Retention = named ? retentionBySource.GetValueOrDefault(name) : retention,
            });
        }
        return result;
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

    /// <summary>
    /// Modules on disk compared with the last snapshot that recorded them: conflicts, downgrades, missing versions.
    /// With 'sources:', each source's modules against that source's snapshots.
    /// </summary>
    private async Task<IReadOnlyList<ModuleProblem>> ModuleProblemsAsync(List<string> errors, CancellationToken cancellationToken)
    {
        var problems = new List<ModuleProblem>();
        foreach (var source in Selected())
        {
            var context = source.Named ? _context.Whole.ForSource(source) : _context;
            if (context.Settings.Modules.Paths.Count == 0)
                continue;
            try
            {
                var report = await new ModulesOperation(context).CompareAsync(null, cancellationToken).ConfigureAwait(false);
                problems.AddRange(report.Problems.Select(p =>
                    new ModuleProblem(p.Path, p.Kind.ToString(), p.Describe(), source.Named ? source.Name : null)));
            }
            catch (BulwarkException e)
            {
                errors.Add(source.Named ? $"modules of source '{source.Name}': {e.Message}" : $"modules: {e.Message}");
            }
        }
        return problems;
    }

    /// <summary>The configured sources this status is about: all, or the one of --source.</summary>
    private IEnumerable<Configuration.ConfiguredSource> Selected() =>
        _context.Sources.Where(s => _context.SnapshotFilter is null || s.Name == _context.Source!.Name);

    /// <summary>The totals of several sources' retention.</summary>
    private static RetentionStatus? Combine(List<RetentionStatus> parts) => parts.Count == 0 ? null : new RetentionStatus(
        "per source",
        parts.Sum(p => p.Kept),
        parts.Sum(p => p.WouldRemove),
        parts.Select(p => p.OldestKept).Where(t => t is not null).Min(),
        parts.FirstOrDefault(p => p.Error is not null)?.Error);

    private RetentionStatus Retention(Configuration.RetentionConfig config, string key, IReadOnlyList<SnapshotSummary> summaries,
        IReadOnlyList<ProofRecord> proofs, DateTimeOffset now)
    {
        RetentionPolicy policy;
        try
        {
            policy = config.ToPolicy(_context.Config, key, _context.Time);
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
            Source = new SourceInfo { Kind = s.SourceKind, Database = s.Database, Name = s.Source },
            Streams = [],
        })).ToList();
        var plan = RetentionEvaluator.Evaluate(snapshots, proofs, now, policy);
        var kept = plan.Kept.ToList();
        return new RetentionStatus(policy.Describe(), kept.Count, plan.Decisions.Count - kept.Count,
            kept.Count == 0 ? null : kept.Min(d => d.Snapshot.Manifest.Time),
            plan.RulesKeepNothing ? "the policy keeps none of the snapshots: cleanup refuses to run" : null,
            plan.Decisions.OrderBy(d => d.Snapshot.Manifest.Time)
                .Select(d => new RetentionDecision(d.Snapshot.Id.ToString(), d.Snapshot.Manifest.Time, d.Group, d.Keep, d.Reasons)).ToList());
    }
}
