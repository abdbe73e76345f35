using Bulwark.Operations.Catalog;
using Bulwark.Repository;
using Bulwark.Repository.Verification;
using Bulwark.Storage;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'integrity': the newest snapshot is complete — every chunk it references exists — and, with a read-data subset
/// ('check.read-data-subset' or --read-data-subset), a random part of its chunks reads back and matches its ids.
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

    private async Task<HealthFinding> CheckAsync(HealthCheckContext context, BackupRepository repository, SnapshotCatalog catalog,
        IReadOnlyList<SnapshotSummary> summaries, CancellationToken cancellationToken)
    {
        var damaged = catalog.Damaged;
        var subsetPercent = context.Request.ReadDataSubset ?? context.Settings.ReadDataSubset;
        var problems = damaged.Select(d => $"manifest of {d.Snapshot}: {d.Error}").ToList();
        if (summaries.Count == 0)
        {
            return new HealthFinding
            {
                Check = Name,
                Status = problems.Count == 0 ? HealthStatus.Ok : HealthStatus.Critical,
                Summary = problems.Count == 0 ? "no snapshot to check" : string.Join("; ", problems),
                Advice = problems.Count == 0 ? null : "run 'bulwark verify' for the full list",
            };
        }
        var latest = summaries[^1];
        var id = ObjectId.Parse(latest.Id);
        var (chunksChecked, missing) = await MissingChunksAsync(context, repository, catalog, id, cancellationToken).ConfigureAwait(false);
        problems.AddRange(missing.Take(3).Select(name => $"{name}: chunk is missing"));
        var extra = missing.Count > 3 ? $" (and {missing.Count - 3} more)" : "";
        var readText = "";
        long bytesRead = 0;
        if (subsetPercent > 0 && missing.Count == 0)
        {
            var (read, chunks, bad) = await ReadSubsetAsync(repository, id, subsetPercent, cancellationToken).ConfigureAwait(false);
            bytesRead = read;
            problems.AddRange(bad.Take(3));
            readText = $"; {HealthText.Percent(subsetPercent)} of its data read back and checked ({HealthText.Count(chunks, "chunk")}, {HealthText.Bytes(read)})";
        }
        var metrics = new List<HealthMetric> { new("integrity_problems", problems.Count, Min: 0) };
        if (subsetPercent > 0)
            metrics.Add(new HealthMetric("bytes_read", bytesRead, "B", Min: 0));
        if (problems.Count == 0)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Ok,
                Summary = $"newest snapshot {latest.ShortId} complete ({HealthText.Count(chunksChecked, "chunk")} present){readText}",
                Metrics = metrics,
            };
        // Unreadable manifests of older snapshots come first and are named as such: the newest may be fine.
        var newestProblems = problems.Skip(damaged.Count).ToList();
        var parts = new List<string>();
        if (damaged.Count > 0)
            parts.Add($"{HealthText.Count(damaged.Count, "manifest")} cannot be read: {string.Join("; ", problems.Take(damaged.Count))}");
        if (newestProblems.Count > 0)
            parts.Add($"newest snapshot {latest.ShortId} is damaged: {string.Join("; ", newestProblems)}{extra}");
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatus.Critical,
            Summary = string.Join("; ", parts),
            Advice = newestProblems.Count > 0
                ? "run 'bulwark verify --read-data' for the full list; restore from an earlier snapshot that verifies, and take a new backup now"
                : "run 'bulwark verify' for the full list; copy the damaged manifest back from another copy of the repository, " +
                  "or set it aside ('A damaged manifest' in docs/RUNBOOK.md): until then cleanup removes nothing",
            Metrics = metrics,
        };
    }

    /// <summary>
    /// The chunks of a snapshot that are missing. In a local folder each one is looked up (a stat per chunk is
    /// cheaper than listing a repository that holds many more); on an object store, where a request per chunk is
    /// slow, the chunk listing is compared (<see cref="RepositoryVerifier"/>).
    /// </summary>
    private static async Task<(int Checked, List<string> Missing)> MissingChunksAsync(HealthCheckContext context, BackupRepository repository,
        SnapshotCatalog catalog, ObjectId id, CancellationToken cancellationToken)
    {
        if (!repository.Capabilities.IsLocal)
        {
            var report = await RepositoryVerifier.VerifyAsync(repository, [id], readData: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (report.ChunksChecked, report.Problems.Select(p => p.Object).ToList());
        }
        var chunks = await catalog.ChunkIdsAsync(id, cancellationToken).ConfigureAwait(false);
        var missing = new List<string>();
        await Parallel.ForEachAsync(chunks,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                if (!await repository.ChunkExistsAsync(chunk, ct).ConfigureAwait(false))
                {
                    lock (missing)
                        missing.Add(RepositoryLayout.ChunkName(chunk));
                }
            }).ConfigureAwait(false);
        missing.Sort(StringComparer.Ordinal);
        return (chunks.Count, missing);
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
