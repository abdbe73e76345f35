using Bulwark.Operations.Catalog;
using Bulwark.Repository;
using Bulwark.Repository.Verification;

namespace Bulwark.Operations.Wal;

/// <summary>
/// The WAL step of verify: continuity from each physical snapshot's start to the newest archived segment (before any
/// base backup, from the oldest archived segment), and with read-data every segment on those paths read back and
/// checked against its id.
/// </summary>
internal static class WalVerifier
{
    public static async Task<(IReadOnlyList<VerifyProblem> Problems, int FilesRead, long BytesRead)> VerifyAsync(
        BackupRepository repository, IReadOnlyList<SnapshotSummary> snapshots, bool readData, CancellationToken cancellationToken)
    {
        var wal = await WalInventory.LoadAsync(repository, cancellationToken).ConfigureAwait(false);
        if (wal.Segments.Count == 0)
            return ([], 0, 0);
        var starts = snapshots.Where(s => s.IsPhysical)
            .Select(s => (Start: WalInventory.StartOf(s), Snapshot: s.ShortId))
            .Where(s => s.Start is not null)
            .Select(s => (Start: s.Start!.Value, s.Snapshot))
            .ToList();
        if (starts.Count == 0 && wal.OldestStart() is { } oldest)
            starts.Add((oldest, "(archive)"));
        var problems = new List<VerifyProblem>();
        var byGap = new Dictionary<WalGap, List<string>>();
        foreach (var (start, snapshot) in starts)
        {
            foreach (var gap in wal.Gaps(start))
            {
                if (!byGap.TryGetValue(gap, out var list))
                    byGap[gap] = list = [];
                list.Add(snapshot);
            }
        }
        foreach (var (gap, broken) in byGap)
            problems.Add(new VerifyProblem(RepositoryLayout.WalFolder + gap.First,
                $"WAL missing: {gap}; recovery stops before it", broken));
        if (!readData)
            return (problems, 0, 0);
        var read = 0;
        long bytes = 0;
        var archived = wal.Files.Select(f => f.File.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in starts.SelectMany(s => wal.Needed(s.Start)).Distinct().Where(n => archived.Contains(n.Name)))
        {
            try
            {
                var length = await repository.Wal.CheckAsync(name, cancellationToken).ConfigureAwait(false);
                read++;
                bytes += length ?? 0;
            }
            catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
            {
                problems.Add(new VerifyProblem(RepositoryLayout.WalName(name), e.Message,
                    starts.Where(s => wal.Needed(s.Start).Contains(name)).Select(s => s.Snapshot).ToList()));
            }
        }
        return (problems, read, bytes);
    }
}
