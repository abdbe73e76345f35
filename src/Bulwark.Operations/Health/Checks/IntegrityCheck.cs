using Bulwark.Operations.Catalog;
using Bulwark.Repository;
using Bulwark.Repository.Verification;
using Bulwark.Storage;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'integrity': the newest snapshot is complete — every chunk it references exists — and, with a read-data subset
/// ('check.read-data-subset' or --read-data-subset), a random part of its chunks reads back and matches its ids.
/// With 'sources:', the newest snapshot of each source (and of its base backups), as the backup-age check judges each.
/// Manifests that cannot be read are reported here too. Skipped by a quick check (it lists every chunk).
/// </summary>
internal sealed class IntegrityCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Integrity;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (context.Request.Quick || context is not { Repository: { } repository, Catalog: { } catalog, Snapshots: { } summaries })
            return null;
        return await CheckAsync(context, repository, catalog, summaries, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What was found in one newest snapshot.</summary>
    private sealed record Newest(SnapshotSummary Snapshot, string? Group, int Chunks, List<string> Problems, int ChunksRead, long BytesRead);

    private async Task<HealthFinding> CheckAsync(HealthCheckContext context, BackupRepository repository, SnapshotCatalog catalog,
        IReadOnlyList<SnapshotSummary> summaries, CancellationToken cancellationToken)
    {
        var damaged = catalog.Damaged;
        var subsetPercent = context.Request.ReadDataSubset ?? context.Settings.ReadDataSubset;
        var unreadable = damaged.Select(d => $"manifest of {d.ShortId}: {d.Error}").ToList();
        if (summaries.Count == 0)
        {
            return new HealthFinding
            {
                Check = Name,
                Status = unreadable.Count == 0 ? HealthStatus.Ok : HealthStatus.Critical,
                Summary = unreadable.Count == 0 ? "no snapshot to check" : string.Join("; ", unreadable),
                Advice = unreadable.Count == 0 ? null : "run 'bulwark verify' for the full list",
            };
        }
        var perSource = context.Bulwark.Settings.Sources.Count > 0;
        var latest = perSource
            ? summaries.GroupBy(s => s.Group, StringComparer.Ordinal).Select(g => (Group: (string?)g.Key, Snapshot: g.Last())).ToList()
            : [(Group: null, Snapshot: summaries[^1])];
        var missing = await MissingChunksAsync(context, repository, catalog, latest.Select(l => ObjectId.Parse(l.Snapshot.Id)).ToList(),
            cancellationToken).ConfigureAwait(false);
        var results = new List<Newest>();
        foreach (var (group, snapshot) in latest)
        {
            var id = ObjectId.Parse(snapshot.Id);
            var (chunks, absent) = missing[id];
            var problems = absent.Take(3).Select(name => $"{name}: chunk is missing").ToList();
            if (absent.Count > 3)
                problems[^1] += $" (and {absent.Count - 3} more)";
            var (read, readChunks) = (0L, 0);
            if (subsetPercent > 0 && absent.Count == 0)
            {
                var (bytes, count, bad) = await ReadSubsetAsync(repository, id, subsetPercent, cancellationToken).ConfigureAwait(false);
                (read, readChunks) = (bytes, count);
                problems.AddRange(bad.Take(3));
            }
            results.Add(new Newest(snapshot, group, chunks, problems, readChunks, read));
        }

        var metrics = new List<HealthMetric> { new("integrity_problems", unreadable.Count + results.Sum(r => r.Problems.Count), Min: 0) };
        if (subsetPercent > 0)
            metrics.Add(new HealthMetric("bytes_read", results.Sum(r => r.BytesRead), "B", Min: 0));
        if (perSource)
            metrics.AddRange(results.GroupBy(r => r.Snapshot.SourceName, StringComparer.Ordinal)
                .Select(g => new HealthMetric("integrity_problems", g.Sum(r => r.Problems.Count), Min: 0, Source: g.Key)));
        string Of(Newest r) => r.Group is null ? "" : $" of {r.Group}";
        var broken = results.Where(r => r.Problems.Count > 0).ToList();
        if (unreadable.Count == 0 && broken.Count == 0)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Ok,
                Summary = string.Join("; ", results.Select(r =>
                    $"newest snapshot {r.Snapshot.ShortId}{Of(r)} complete ({HealthText.Count(r.Chunks, "chunk")} present)" +
                    (subsetPercent > 0 ? $"; {HealthText.Percent(subsetPercent)} of its data read back and checked ({HealthText.Count(r.ChunksRead, "chunk")}, {HealthText.Bytes(r.BytesRead)})" : ""))),
                Metrics = metrics,
            };
        // Unreadable manifests of older snapshots come first and are named as such: the newest may be fine.
        var parts = new List<string>();
        if (unreadable.Count > 0)
            parts.Add($"{HealthText.Count(damaged.Count, "manifest")} cannot be read: {string.Join("; ", unreadable)}");
        parts.AddRange(broken.Select(r => $"newest snapshot {r.Snapshot.ShortId}{Of(r)} is damaged: {string.Join("; ", r.Problems)}"));
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatus.Critical,
            Summary = string.Join("; ", parts),
            Advice = broken.Count > 0
                ? "run 'bulwark verify --read-data' for the full list; restore from an earlier snapshot that verifies, and take a new backup now"
                : "run 'bulwark verify' for the full list; copy the damaged manifest back from another copy of the repository, " +
                  "or set it aside ('A damaged manifest' in docs/RUNBOOK.md): until then cleanup removes nothing",
            Metrics = metrics,
        };
    }

    /// <summary>
    /// The chunks of each snapshot and those missing. In a local folder each one is looked up (a stat per chunk is
    /// cheaper than listing a repository that holds many more); on an object store,
    /// where a request per chunk is slow, the chunk listing is compared once (<see cref="RepositoryVerifier"/>).
    /// </summary>
    private static async Task<Dictionary<ObjectId, (int Checked, List<string> Missing)>> MissingChunksAsync(HealthCheckContext context,
        BackupRepository repository, SnapshotCatalog catalog, IReadOnlyList<ObjectId> snapshots, CancellationToken cancellationToken)
    {
        var result = new Dictionary<ObjectId, (int, List<string>)>();
        if (!repository.Capabilities.IsLocal)
        {
            var report = await RepositoryVerifier.VerifyAsync(repository, snapshots, readData: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var id in snapshots)
            {
                var shortId = id.ToShortString();
                var chunks = snapshots.Count == 1 ? report.ChunksChecked
                    : (await catalog.ChunkIdsAsync(id, snapshots.Count + 1, cancellationToken).ConfigureAwait(false)).Count;
                result[id] = (chunks, report.Problems.Where(p => p.Snapshots.Contains(shortId)).Select(p => p.Object).ToList());
            }
            return result;
        }
        var lists = new List<(ObjectId Snapshot, IReadOnlyList<ObjectId> Chunks)>();
        foreach (var id in snapshots)
            lists.Add((id, await catalog.ChunkIdsAsync(id, snapshots.Count + 1, cancellationToken).ConfigureAwait(false)));
        // A chunk shared by snapshots is looked up once.
        var all = lists.Count == 1 ? lists[0].Chunks : lists.SelectMany(l => l.Chunks).Distinct().ToList();
        var absent = (await repository.MissingChunksAsync(all, cancellationToken).ConfigureAwait(false)).ToHashSet();
        foreach (var (id, chunks) in lists)
        {
            var missing = absent.Count == 0 ? [] : chunks.Where(absent.Contains).Select(RepositoryLayout.ChunkName).ToList();
            missing.Sort(StringComparer.Ordinal);
            result[id] = (chunks.Count, missing);
        }
        return result;
    }

    /// <summary>Reads a random part of a snapshot's chunks (a different part each run, so that runs add up) and checks each against its id.</summary>
    private static async Task<(long Bytes, int Chunks, List<string> Problems)> ReadSubsetAsync(BackupRepository repository,
        ObjectId id, double percent, CancellationToken cancellationToken)
    {
        var snapshot = await repository.LoadSnapshotAsync(id, cancellationToken).ConfigureAwait(false);
        var chunks = snapshot.Manifest.Streams.SelectMany(s => s.Chunks).DistinctBy(c => c.Id).ToArray();
        var count = Math.Min(chunks.Length, (int)Math.Ceiling(chunks.Length * percent / 100));
        Random.Shared.Shuffle(chunks);
        var problems = new List<string>();
        long bytes = 0;
        await Parallel.ForEachAsync(chunks.Take(count),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                try
                {
                    // Length and id checked against the reference by the read itself.
                    var data = await repository.ReadChunkAsync(chunk, ct).ConfigureAwait(false);
                    Interlocked.Add(ref bytes, data.Length);
                }
                catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
                {
                    lock (problems)
                        problems.Add($"{RepositoryLayout.ChunkName(chunk.Id)}: {e.Message}");
                }
            }).ConfigureAwait(false);
        return (bytes, count, problems);
    }
}
