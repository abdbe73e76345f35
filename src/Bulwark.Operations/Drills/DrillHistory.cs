using Bulwark.Repository;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Drills;

/// <summary>The proof events of a repository, by snapshot.</summary>
public static class DrillHistory
{
    /// <summary>The latest drill of each snapshot (by full id).</summary>
    public static async Task<IReadOnlyDictionary<string, ProofRecord>> LatestDrillsAsync(BackupRepository repository,
        CancellationToken cancellationToken)
    {
        // Shown only: a damaged record must not stop a listing.
        var proofs = await repository.ReadEventsAsync<ProofRecord>(RepositoryLayout.ProofEvents, cancellationToken, skipUnreadable: true)
            .ConfigureAwait(false);
        return proofs.Where(p => p.Kind == ProofRecord.Drill)
            .GroupBy(p => p.Snapshot, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(p => p.Time)!, StringComparer.Ordinal);
    }
}
