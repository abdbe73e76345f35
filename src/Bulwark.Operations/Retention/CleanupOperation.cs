using System.Globalization;
using Bulwark.Operations.Configuration;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Retention;

/// <summary>
/// Applies the retention policy: removes the snapshots it forgets, then the chunks nothing references any more
/// (see <see cref="GarbageCollector"/> for why that is safe beside running backups and after a crash). A snapshot
/// whose manifest does not read is never forgotten, and no chunk is deleted while there is one.
/// </summary>
public sealed class CleanupOperation
{
    private readonly BulwarkContext _context;

    public CleanupOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <param name="dryRun">Decide and count, change nothing.</param>
    /// <param name="policy">The policy to apply; default: the configuration's.</param>
    public Task<CleanupResult> RunAsync(bool dryRun, IProgress<long>? progress, CancellationToken cancellationToken,
        RetentionPolicy? policy = null) =>
        _context.RunLoggedAsync(dryRun ? "cleanup-dry-run" : "cleanup", async scope =>
        {
            policy ??= _context.Settings.Retention.ToPolicy(_context.Config, "retention", _context.Time);
            var options = new GarbageCollectionOptions
            {
                GracePeriod = _context.Settings.Cleanup.GracePeriodValue,
                ClockSkew = _context.Settings.Cleanup.ClockSkewValue,
                DryRun = dryRun,
            };
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            // A dry run only reads: a shared lock, so that it neither waits for nor blocks a real cleanup.
            await using var repositoryLock = await repository.LockAsync(dryRun ? LockMode.Shared : LockMode.Prune,
                dryRun ? "cleanup --dry-run" : "cleanup", cancellationToken).ConfigureAwait(false);

            // Retention decides among the snapshots that read; one whose manifest does not is never forgotten, and the
            // collection below then deletes no chunk (its report says why).
            var snapshots = (await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots;
            var proofs = await repository.ReadEventsAsync<ProofRecord>(ProofRecord.EventKind, cancellationToken).ConfigureAwait(false);
            var plan = RetentionEvaluator.Evaluate(snapshots, proofs, _context.Time.GetUtcNow(), policy);
            if (plan.RulesKeepNothing)
                throw Refusal(plan, policy);
            var forget = plan.Forgotten.Select(d => d.Snapshot).ToList();

            if (!dryRun && forget.Count > 0)
            {
                await repository.AppendEventAsync(RepositoryLayout.CleanupEvents, new CleanupRecord
                {
                    Time = _context.Time.GetUtcNow(),
                    Host = repository.Options.HostName,
                    Policy = policy.Describe(),
                    Forgotten = forget.Select(s => s.Id.ToString()).ToList(),
                    Kept = plan.Kept.Count(),
                }, cancellationToken, json: OperationsJson.Options).ConfigureAwait(false);
            }
            var report = await GarbageCollector.RunAsync(repository, repositoryLock, forget, options, progress,
                cancellationToken).ConfigureAwait(false);

            scope.Bytes = report.BytesFreed;
            scope.Details["dryRun"] = dryRun ? "true" : "false";
            scope.Details["snapshotsRemoved"] = report.SnapshotsRemoved.ToString(CultureInfo.InvariantCulture);
            scope.Details["chunksDeleted"] = report.ChunksDeleted.ToString(CultureInfo.InvariantCulture);
            scope.Details["snapshotsKept"] = plan.Kept.Count().ToString(CultureInfo.InvariantCulture);
            if (report.SweepSkipped is { } skipped)
                scope.Details["sweepSkipped"] = skipped;
            return new CleanupResult(policy, plan, report, _context.RepositoryDisplay);
        });

    private BulwarkException Refusal(RetentionPlan plan, RetentionPolicy policy)
    {
        var newest = plan.Decisions.MaxBy(d => d.Snapshot.Manifest.Time)!.Snapshot;
        var age = _context.Time.GetUtcNow() - newest.Manifest.Time;
        return new BulwarkException(ErrorKind.Refused,
            $"refusing to clean up: the retention policy ({policy.Describe()}) keeps none of the {plan.Decisions.Count} snapshots; " +
            $"the newest, {newest.ShortId}, was taken {newest.Manifest.Time:u} ({age.TotalDays:0.#} days ago)",
            "check that backups still run, and the policy under 'retention:' in bulwark.yml; nothing was deleted");
    }
}
