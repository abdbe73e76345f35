using Bulwark.Repository;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Restore;

/// <summary>
/// The SNAPSHOT of a restore, resolved one way for both kinds: an id (or a unique prefix) among the context's source's
/// snapshots, which must be of the kind the restore writes; "latest", the newest of that kind (a base backup for
/// --to-dir, a logical snapshot for the others), so that a base backup taken after the last dump does not hide it.
/// </summary>
internal static class RestoreSnapshot
{
    /// <param name="anyNamed">A snapshot named by id may be of either kind (one of its streams written to a file).</param>
    public static async Task<Snapshot> ResolveAsync(BulwarkContext context, BackupRepository repository, string reference, bool physical,
        CancellationToken cancellationToken, bool anyNamed = false)
    {
        if (!IsLatest(reference))
        {
            var named = await context.ResolveSnapshotAsync(repository, reference, cancellationToken).ConfigureAwait(false);
            if (!anyNamed)
                CheckKind(named, physical);
            return named;
        }
        if (!physical)
        {
            // The context refuses an ambiguous 'latest' (several sources, none chosen); its answer serves when it is a dump.
            var newest = await context.ResolveSnapshotAsync(repository, reference, cancellationToken).ConfigureAwait(false);
            if (newest.Manifest.Physical is null)
                return newest;
        }
        var candidates = await CandidatesAsync(context, repository, physical, cancellationToken).ConfigureAwait(false);
        return candidates.Count > 0 ? candidates[^1] : throw None(physical);
    }

    /// <summary>
    /// The snapshots of the kind among the context's source's (all sources' base backups when none is chosen: a
    /// repository holds the WAL of one server), oldest first (base backups by the end of the backup).
    /// </summary>
    public static async Task<IReadOnlyList<Snapshot>> CandidatesAsync(BulwarkContext context, BackupRepository repository, bool physical,
        CancellationToken cancellationToken)
    {
        var among = context.SnapshotFilter;
        var snapshots = (await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false))
            .Where(s => (s.Manifest.Physical is not null) == physical && (among is null || among(s)));
        return physical
            ? snapshots.OrderBy(s => s.Manifest.Physical!.StopTime).ToList()
            : snapshots.OrderBy(s => s.Manifest.Time).ToList();
    }

    public static bool IsLatest(string? reference) => string.Equals(reference?.Trim(), "latest", StringComparison.OrdinalIgnoreCase);

    public static BulwarkException None(bool physical) => physical
        ? new BulwarkException(ErrorKind.Usage, "the repository holds no base backup", "take one with 'bulwark backup --physical'")
        : new BulwarkException(ErrorKind.Usage, "the repository holds no logical snapshot, only base backups",
            "restore a base backup with --to-dir DIR, or take a logical snapshot with 'bulwark backup'");

    private static void CheckKind(Snapshot snapshot, bool physical)
    {
        if (physical && snapshot.Manifest.Physical is null)
            throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} is a logical snapshot (pg_dump), not a base backup",
                "restore it with --target; --to-dir takes a snapshot of 'bulwark backup --physical' ('bulwark list' shows the kind)");
        if (!physical && snapshot.Manifest.Physical is not null)
            throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} is a base backup (backup --physical), not a logical snapshot",
                "restore it as a data directory with 'bulwark restore SNAPSHOT --to-dir DIR' ('bulwark list' shows the kind)");
    }
}
