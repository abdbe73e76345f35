using Bulwark.Repository;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Wal;

/// <summary>
/// The WAL step of cleanup: keeps every WAL file a kept base backup needs to reach the present (from its start on its
/// timeline, and on the timelines that descend from it), and removes older ones (<see cref="WalInventory.NotNeeded"/>).
/// With no base backup kept, or a manifest that does not read (it may be a base backup), nothing is removed.
/// </summary>
internal static class WalRetention
{
    public static async Task<WalCleanup?> RunAsync(BackupRepository repository, IEnumerable<Snapshot> kept, bool unreadable,
        bool dryRun, CancellationToken cancellationToken)
    {
        var wal = await WalInventory.LoadAsync(repository, cancellationToken).ConfigureAwait(false);
        if (wal.IsEmpty)
            return null;
        if (unreadable)
            return new WalCleanup(0, 0, "a snapshot manifest does not read; it may be a base backup whose WAL is needed");
        var starts = kept.Select(s => s.Manifest.Physical).OfType<PhysicalBackupInfo>()
            .Select(p => WalInventory.StartOf(p)).OfType<WalStart>().ToList();
        if (starts.Count == 0)
            return new WalCleanup(0, 0, "no base backup is kept, so no WAL is known to be unneeded");
        var remove = wal.NotNeeded(starts);
        if (!dryRun)
        {
            foreach (var file in remove)
                await repository.Wal.DeleteAsync(file.File, cancellationToken).ConfigureAwait(false);
        }
        return new WalCleanup(remove.Count, remove.Sum(f => f.StoredSize), null);
    }
}
