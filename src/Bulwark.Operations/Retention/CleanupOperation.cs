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
            var perSource = policy is null && _context.Settings.Sources.Count > 0;
            policy ??= _context.Settings.Retention.ToPolicy(_context.Config, "retention", _context.Time);
            // Validated before the repository is touched: a wrong policy of any source stops the cleanup.
            var policies = perSource ? SourcePolicies() : [];
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
            var listing = await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            var snapshots = listing.Snapshots;
            var proofs = await repository.ReadEventsAsync<ProofRecord>(RepositoryLayout.ProofEvents, cancellationToken).ConfigureAwait(false);
            RetentionPlan plan;
            var described = policy.Describe();
            if (perSource)
            {
                // Each source's snapshots by its own policy; those of a source no longer configured by the top-level
                // one (unless --source chose one source). Chunks are collected below over the whole repository.
                var decisions = new List<SnapshotDecision>();
                var configured = policies.Select(p => p.Source).ToHashSet(StringComparer.Ordinal);
                var groups = snapshots.GroupBy(s => SourceNames.FromManifest(s.Manifest.Source.Name), StringComparer.Ordinal)
                    .Where(g => _context.Source is { } only ? g.Key == only.Name : true);
                foreach (var group in groups)
                {
                    var own = policies.FirstOrDefault(p => p.Source == group.Key).Policy ?? policy;
                    var part = RetentionEvaluator.Evaluate(group.ToList(), proofs, _context.Time.GetUtcNow(), own);
                    if (part.RulesKeepNothing)
                        throw Refusal(part, own);
                    decisions.AddRange(part.Decisions);
                }
                plan = new RetentionPlan(decisions.OrderBy(d => d.Snapshot.Manifest.Time).ThenBy(d => d.Snapshot.Id).ToList());
                described = string.Join("; ", policies.Select(p => $"{p.Source}: {p.Policy.Describe()}"));
            }
            else
            {
                plan = RetentionEvaluator.Evaluate(snapshots, proofs, _context.Time.GetUtcNow(), policy);
                if (plan.RulesKeepNothing)
                    throw Refusal(plan, policy);
            }
            var forget = plan.Forgotten.Select(d => d.Snapshot).ToList();

            if (!dryRun && forget.Count > 0)
            {
                await repository.AppendEventAsync(RepositoryLayout.CleanupEvents, new CleanupRecord
                {
                    Time = _context.Time.GetUtcNow(),
                    Host = repository.Options.HostName,
                    Policy = described,
                    Forgotten = forget.Select(s => s.Id.ToString()).ToList(),
                    Kept = plan.Kept.Count(),
                }, cancellationToken, json: OperationsJson.Options).ConfigureAwait(false);
            }
            var report = await GarbageCollector.RunAsync(repository, repositoryLock, forget, options, progress,
                cancellationToken).ConfigureAwait(false);

            var wal = await Wal.WalRetention.RunAsync(repository, plan.Kept.Select(d => d.Snapshot), listing.Unreadable.Count > 0,
                dryRun, cancellationToken).ConfigureAwait(false);
            if (wal is not null)
                scope.Details["walFilesRemoved"] = wal.Files.ToString(CultureInfo.InvariantCulture);

            var result = new CleanupResult(policy, plan, report, _context.RepositoryDisplay) { Wal = wal };
            scope.Bytes = result.BytesFreed;
            scope.Details["dryRun"] = dryRun ? "true" : "false";
            scope.Details["snapshotsRemoved"] = report.SnapshotsRemoved.ToString(CultureInfo.InvariantCulture);
            scope.Details["chunksDeleted"] = report.ChunksDeleted.ToString(CultureInfo.InvariantCulture);
            scope.Details["snapshotsKept"] = plan.Kept.Count().ToString(CultureInfo.InvariantCulture);
            if (report.SweepSkipped is { } skipped)
                scope.Details["sweepSkipped"] = skipped;
            return result;
        });

    /// <summary>The policy of each configured source (its own 'retention:' or the top-level one), selected by --source.</summary>
    private List<(string Source, RetentionPolicy Policy)> SourcePolicies() =>
        _context.Sources
            .Where(source => _context.Source is not { } only || only.Name == source.Name)
            .Select(source => (source.Name, source.Settings.Retention.ToPolicy(_context.Config,
                source.KeyOf("retention", source.Settings.Retention != _context.Settings.Retention), _context.Time)))
            .ToList();

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
