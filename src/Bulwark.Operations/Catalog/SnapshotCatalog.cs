using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Catalog;

/// <summary>
/// Summaries of every snapshot and the proof records of a repository, read through a cache in the state folder
/// (STATE/cache/REPOSITORY-ID/). Listing the repository is the truth: a snapshot listed but not cached has its
/// manifest read once; a cached one no longer listed is ignored (and dropped when the cache is rewritten). Manifests
/// and events are immutable and named by their content, so a cached entry never goes stale; a manifest object whose
/// listed size or write time differs from the one its summary was made from has been replaced (damaged, or copied
/// back), and is read again. Losing or damaging the cache only costs time. Lines are appended with one write each, so
/// processes sharing the cache do not tear them.
/// </summary>
public sealed class SnapshotCatalog
{
    // The number is the summaries' format: a cache written before a field was added is left behind and rebuilt once.
    private const string SummariesFile = "snapshots-2.jsonl";
    private static readonly string[] OldSummaryFiles = ["snapshots.jsonl"];
    private const string ProofsFile = "proofs.jsonl";
    private readonly BackupRepository _repository;
    private readonly string _folder;

    public SnapshotCatalog(BackupRepository repository, string stateDirectory)
    {
        _repository = repository;
        _folder = Path.Combine(stateDirectory, "cache", repository.Config.Id);
    }

    /// <summary>Where the cache lives.</summary>
    public string Folder => _folder;

    /// <summary>Snapshots whose manifest could not be read by the last <see cref="ListAsync"/>, by id.</summary>
    public IReadOnlyList<UnreadableSnapshot> Damaged { get; private set; } = [];

    /// <summary>Every snapshot whose manifest reads, oldest first; those that do not are in <see cref="Damaged"/>.</summary>
    public async Task<IReadOnlyList<SnapshotSummary>> ListAsync(CancellationToken cancellationToken)
    {
        var objects = await _repository.ListSnapshotObjectsAsync(cancellationToken).ConfigureAwait(false);
        var cached = ByKey(ReadLines<SnapshotSummary>(SummariesFile), s => s.Id);
        var missing = objects.Where(o => !(cached.TryGetValue(o.Id.ToString(), out var summary) &&
                                           summary.ManifestSize == o.Size && summary.ManifestModified == o.Modified)).ToList();
        var loaded = new ConcurrentBag<SnapshotSummary>();
        var damaged = new ConcurrentBag<UnreadableSnapshot>();
        var gone = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(missing,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (listed, ct) =>
            {
                try
                {
                    var snapshot = await _repository.LoadSnapshotAsync(listed.Id, ct).ConfigureAwait(false);
                    loaded.Add(SnapshotSummary.From(snapshot) with { ManifestSize = listed.Size, ManifestModified = listed.Modified });
                }
                catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
                {
                    damaged.Add(new UnreadableSnapshot(listed.Id, e.Message));
                    gone.Add(listed.Id.ToString());
                }
                catch (BulwarkException e) when (e.Kind == ErrorKind.Usage)
                {
                    gone.Add(listed.Id.ToString()); // removed by a cleanup since the listing
                }
            }).ConfigureAwait(false);
        Damaged = damaged.OrderBy(d => d.Id).ToList();
        // A summary of a manifest that no longer reads stands for nothing.
        foreach (var id in gone)
            cached.Remove(id);
        foreach (var summary in loaded)
            cached[summary.Id] = summary;
        var listedIds = objects.Select(o => o.Id.ToString()).Where(cached.ContainsKey).ToHashSet(StringComparer.Ordinal);
        Save(SummariesFile, loaded.ToList(), cached.Count - listedIds.Count, () => listedIds.Select(id => cached[id]), OldSummaryFiles);
        return listedIds.Select(id => cached[id]).OrderBy(s => s.Time).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every proof record (verifications that read data, restore drills), oldest first.</summary>
    public async Task<IReadOnlyList<ProofRecord>> ProofsAsync(CancellationToken cancellationToken)
    {
        var names = await _repository.ListEventNamesAsync(RepositoryLayout.ProofEvents, cancellationToken).ConfigureAwait(false);
        var cached = ByKey(ReadLines<CachedProof>(ProofsFile), p => p.Name);
        var missing = names.Where(n => !cached.ContainsKey(n)).ToList();
        var loaded = new ConcurrentBag<CachedProof>();
        await Parallel.ForEachAsync(missing,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                // null: removed meanwhile
                if (await _repository.ReadEventAsync<ProofRecord>(name, ct).ConfigureAwait(false) is { } record)
                    loaded.Add(new CachedProof(name, record));
            }).ConfigureAwait(false);
        foreach (var proof in loaded)
            cached[proof.Name] = proof;
        var present = names.Where(cached.ContainsKey).ToList();
        Save(ProofsFile, loaded.ToList(), cached.Count - present.Count, () => present.Select(n => cached[n]), []);
        return present.Select(n => cached[n].Record).ToList();
    }

    /// <summary>
    /// The distinct chunk ids of a snapshot, from a binary file in the cache (ids, then the SHA-256 of them) or, when
    /// that is missing or damaged, from the manifest. Only the newest snapshots' lists are kept.
    /// </summary>
    public Task<IReadOnlyList<ObjectId>> ChunkIdsAsync(ObjectId snapshot, CancellationToken cancellationToken) =>
        ChunkIdsAsync(snapshot, 2, cancellationToken);

    /// <inheritdoc cref="ChunkIdsAsync(ObjectId, CancellationToken)"/>
    /// <param name="keep">How many lists the cache keeps (the newest snapshot of each source is checked each run).</param>
    public async Task<IReadOnlyList<ObjectId>> ChunkIdsAsync(ObjectId snapshot, int keep, CancellationToken cancellationToken)
    {
        var path = Path.Combine(_folder, $"chunks-{snapshot}.bin");
        try
        {
            if (File.Exists(path))
            {
                var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
                if (bytes.Length >= ObjectId.Size && bytes.Length % ObjectId.Size == 0 &&
                    System.Security.Cryptography.SHA256.HashData(bytes.AsSpan(0, bytes.Length - ObjectId.Size))
                        .AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - ObjectId.Size)))
                {
                    // The list is the manifest's, but the manifest itself must still read.
                    await _repository.CheckManifestObjectAsync(snapshot, cancellationToken).ConfigureAwait(false);
                    var ids = new ObjectId[bytes.Length / ObjectId.Size - 1];
                    for (var i = 0; i < ids.Length; i++)
                        ids[i] = new ObjectId(bytes.AsSpan(i * ObjectId.Size, ObjectId.Size));
                    return ids;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // read the manifest instead
        }
        var manifest = (await _repository.LoadSnapshotAsync(snapshot, cancellationToken).ConfigureAwait(false)).Manifest;
        var distinct = manifest.Streams.SelectMany(s => s.Chunks).Select(c => c.Id).Distinct().ToList();
        try
        {
            OwnerOnly.CreateFolder(_folder);
            var data = new byte[(distinct.Count + 1) * ObjectId.Size];
            for (var i = 0; i < distinct.Count; i++)
                distinct[i].CopyTo(data.AsSpan(i * ObjectId.Size, ObjectId.Size));
            System.Security.Cryptography.SHA256.HashData(data.AsSpan(0, distinct.Count * ObjectId.Size), data.AsSpan(distinct.Count * ObjectId.Size));
            await AtomicFile.WriteAsync(path, data, AtomicWriteOptions.Default, cancellationToken).ConfigureAwait(false);
            foreach (var old in Directory.EnumerateFiles(_folder, "chunks-*.bin").Select(f => new FileInfo(f))
                         .OrderByDescending(f => f.LastWriteTimeUtc).Skip(Math.Max(2, keep)))
                old.Delete();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // only time is lost
        }
        return distinct;
    }

    internal sealed record CachedProof(string Name, ProofRecord Record);

    /// <summary>
    /// Cached entries by name. Two processes (or the daemon's health check and its dashboard) that found the same
    /// entries missing both append them, so a name may appear twice: the entries are equal, one is kept.
    /// </summary>
    private static Dictionary<string, T> ByKey<T>(IEnumerable<T> entries, Func<T, string> key)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var entry in entries)
            result[key(entry)] = entry;
        return result;
    }

    private IEnumerable<T> ReadLines<T>(string file)
    {
        var path = Path.Combine(_folder, file);
        string[] lines;
        try
        {
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            yield break; // an unreadable cache only costs time
        }
        foreach (var line in lines)
        {
            if (line.Length == 0)
                continue;
            T? value;
            try
            {
                value = JsonSerializer.Deserialize(line, OperationsJson.TypeInfo<T>());
            }
            catch (JsonException)
            {
                continue; // a torn line after a crash
            }
            if (value is not null)
                yield return value;
        }
    }

    /// <summary>Appends new entries; rewrites the file when it holds many entries that are gone.</summary>
    private void Save<T>(string file, IReadOnlyList<T> added, int gone, Func<IEnumerable<T>> all, string[] replaces)
    {
        if (added.Count == 0 && gone <= 16)
            return;
        var path = Path.Combine(_folder, file);
        try
        {
            OwnerOnly.CreateFolder(_folder);
            foreach (var old in replaces)
                File.Delete(Path.Combine(_folder, old));
            if (gone > 16)
            {
                AtomicFile.WriteText(path, Lines(all()));
                return;
            }
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Append,
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            });
            stream.Write(Encoding.UTF8.GetBytes(Lines(added)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The cache is an optimisation: the next run reads the manifests again.
        }
    }

    private static string Lines<T>(IEnumerable<T> values)
    {
        var text = new StringBuilder();
        foreach (var value in values)
            text.Append(JsonSerializer.Serialize(value, OperationsJson.TypeInfo<T>())).Append('\n');
        return text.ToString();
    }
}
