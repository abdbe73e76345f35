using Bulwark.Operations.Catalog;
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
    /// be read, and the latest drill of each. Served from the snapshot summaries cached in the state folder
    /// (<see cref="SnapshotCatalog"/>): a manifest is read only when it is new, or when its object was replaced since
    /// its summary was made, which is how a manifest damaged after it was cached is still found.
    /// </summary>
    public async Task<SnapshotList> ListAsync(CancellationToken cancellationToken)
    {
        await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        var catalog = new SnapshotCatalog(repository, _context.Config.StateDirectory);
        var all = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var damaged in catalog.Damaged)
            repository.Options.Warning?.Invoke($"snapshot {damaged.ShortId} is left out: {damaged.Error} " +
                                               "(see 'A damaged manifest' in docs/RUNBOOK.md)");
        var drills = await DrillHistory.LatestDrillsAsync(repository, cancellationToken).ConfigureAwait(false);
        var snapshots = _context.SnapshotFilter is null ? all : all.Where(s => s.SourceName == _context.Source!.Name).ToList();
        Wal.PitrWindow? pitr = null;
        if (all.Any(s => s.IsPhysical))
            pitr = (await Wal.WalInventory.LoadAsync(repository, cancellationToken).ConfigureAwait(false)).Window(all);
        return new SnapshotList(snapshots, catalog.Damaged, drills) { Pitr = pitr };
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
