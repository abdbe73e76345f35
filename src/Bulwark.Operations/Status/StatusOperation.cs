using Bulwark.Operations.Catalog;
using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;
using Bulwark.Repository;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Status;

/// <summary>
/// 'bulwark status': the last backup, the trend of the last 30, the next scheduled runs, what retention keeps, and
/// health. Reads through the snapshot cache, so it stays quick however many snapshots there are.
/// </summary>
public sealed class StatusOperation
{
    public const int TrendLength = 30;
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
        Wal.PitrWindow? pitr = null;
        string? repositoryDisplay = null;
        try
        {
            repositoryDisplay = _context.RepositoryDisplay;
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            var catalog = new SnapshotCatalog(repository, _context.Config.StateDirectory);
            summaries = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
            retention = await RetentionAsync(catalog, summaries, now, cancellationToken).ConfigureAwait(false);
            if (summaries.Any(s => s.IsPhysical))
                pitr = (await Wal.WalInventory.LoadAsync(repository, cancellationToken).ConfigureAwait(false)).Window(summaries);
        }
        catch (BulwarkException e)
        {
            errors.Add(e.Message);
        }
        health ??= await new HealthCheckOperation(_context).RunAsync(new HealthCheckRequest { Quick = true }, cancellationToken).ConfigureAwait(false);
        var last = summaries.Count == 0 ? null : summaries[^1];
        return new StatusReport
        {
            Time = now,
            Repository = repositoryDisplay,
            LastBackup = last,
            Snapshots = summaries.Count,
            Databases = summaries.GroupBy(s => s.Group, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            Recent = last is null ? [] : summaries.Where(s => s.Group == last.Group).TakeLast(TrendLength).ToList(),
            TimeZone = schedule.TimeZone.Id,
            Jobs = jobs,
            Retention = retention,
            Pitr = pitr,
            Health = health,
            Errors = errors,
        };
    }

    private async Task<RetentionStatus> RetentionAsync(SnapshotCatalog catalog, IReadOnlyList<SnapshotSummary> summaries,
        DateTimeOffset now, CancellationToken cancellationToken)
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
        var proofs = await catalog.ProofsAsync(cancellationToken).ConfigureAwait(false);
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
            plan.RulesKeepNothing ? "the policy keeps none of the snapshots: cleanup refuses to run (exit 9)" : null);
    }
}
