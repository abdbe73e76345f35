using Bulwark.Operations.Drills;

namespace Bulwark.Operations.Snapshots;

/// <summary>Reads snapshots for display (list, show). Nothing is written, so nothing is logged.</summary>
public sealed class SnapshotOperations
{
    private readonly BulwarkContext _context;

    public SnapshotOperations(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>
    /// Every snapshot (of the context's source, when it is one source's), oldest first, those whose manifest cannot
    /// be read, and the latest drill of each.
    /// </summary>
    public async Task<SnapshotList> ListAsync(CancellationToken cancellationToken)
    {
        await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        var listing = await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        var drills = await DrillHistory.LatestDrillsAsync(repository, cancellationToken).ConfigureAwait(false);
        var snapshots = _context.SnapshotFilter is { } filter ? listing.Snapshots.Where(filter).ToList() : listing.Snapshots;
        return new SnapshotList(snapshots, listing.Unreadable, drills);
    }

    /// <summary>One snapshot by reference ("latest" or an id prefix) and its latest drill, if any.</summary>
    public async Task<SnapshotDetails> ShowAsync(string reference, CancellationToken cancellationToken)
    {
        await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = await _context.ResolveSnapshotAsync(repository, reference, cancellationToken).ConfigureAwait(false);
        var drills = await DrillHistory.LatestDrillsAsync(repository, cancellationToken).ConfigureAwait(false);
        return new SnapshotDetails(snapshot, drills.GetValueOrDefault(snapshot.Id.ToString()));
    }
}
