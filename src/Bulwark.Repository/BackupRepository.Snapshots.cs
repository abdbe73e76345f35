using System.Collections.Concurrent;
using Bulwark.Repository.Format;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;

namespace Bulwark.Repository;

// Snapshots: manifests listed, read, checked and resolved; one that cannot be read is named and left out where the
// others can go on without it.
public sealed partial class BackupRepository
{
    private readonly ConcurrentDictionary<ObjectId, SnapshotManifest> _manifests = new();
    private readonly ConcurrentDictionary<ObjectId, byte> _warned = new();

    /// <summary>Ids of every committed snapshot.</summary>
    public async Task<IReadOnlyList<ObjectId>> ListSnapshotIdsAsync(CancellationToken cancellationToken) =>
        (await ListSnapshotObjectsAsync(cancellationToken).ConfigureAwait(false)).Select(o => o.Id).ToList();

    /// <summary>
    /// Ids of every committed snapshot, with the size and last write time the storage lists for its manifest object:
    /// a manifest is written once, so a change in either means the object was replaced since.
    /// </summary>
    public async Task<IReadOnlyList<(ObjectId Id, long Size, DateTimeOffset Modified)>> ListSnapshotObjectsAsync(
        CancellationToken cancellationToken)
    {
        var objects = new List<(ObjectId, long, DateTimeOffset)>();
        await foreach (var info in Backend.ListAsync(RepositoryLayout.SnapshotsFolder, cancellationToken).ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseSnapshotName(info.Name, out var id))
                objects.Add((id, info.Size, info.LastModified));
        }
        return objects;
    }

    /// <summary>
    /// Every snapshot, oldest first, for a caller that must see all of them: a manifest that cannot be read is an
    /// error naming it (<see cref="UnreadableManifests"/>). What can go on without it uses <see cref="ScanSnapshotsAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<Snapshot>> ListSnapshotsAsync(CancellationToken cancellationToken)
    {
        var listing = await ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
        if (listing.Unreadable.Count > 0)
            throw UnreadableManifests(listing.Unreadable, "cannot list every snapshot");
        return listing.Snapshots;
    }

    /// <summary>
    /// Every snapshot whose manifest reads, oldest first, and apart from them those whose manifest does not: one
    /// damaged manifest must not stop backups, listings or restores of the other snapshots. Each unreadable manifest
    /// is reported once per repository object through <see cref="RepositoryOpenOptions.Warning"/>.
    /// </summary>
    public async Task<SnapshotListing> ScanSnapshotsAsync(CancellationToken cancellationToken)
    {
        var ids = await ListSnapshotIdsAsync(cancellationToken).ConfigureAwait(false);
        var snapshots = new ConcurrentBag<Snapshot>();
        var unreadable = new ConcurrentBag<UnreadableSnapshot>();
        await Parallel.ForEachAsync(ids,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (id, ct) =>
            {
                try
                {
                    snapshots.Add(await LoadSnapshotAsync(id, ct).ConfigureAwait(false));
                }
                catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
                {
                    unreadable.Add(new UnreadableSnapshot(id, e.Message));
                }
                catch (BulwarkException e) when (e.Kind == ErrorKind.Usage)
                {
                    // removed by a cleanup since the listing
                }
            }).ConfigureAwait(false);
        var damaged = unreadable.OrderBy(u => u.Id).ToList();
        foreach (var snapshot in damaged)
        {
            if (_warned.TryAdd(snapshot.Id, 0))
                Options.Warning?.Invoke($"snapshot {snapshot.ShortId} is left out: {snapshot.Error} " +
                                        $"(see 'A damaged manifest' in docs/RUNBOOK.md)");
        }
        return new SnapshotListing(snapshots.OrderBy(s => s.Manifest.Time).ThenBy(s => s.Id).ToList(), damaged);
    }

    /// <summary>The error of an operation that needs every manifest and found some it cannot read.</summary>
    public static BulwarkException UnreadableManifests(IReadOnlyList<UnreadableSnapshot> unreadable, string what)
    {
        ArgumentNullException.ThrowIfNull(unreadable);
        var names = string.Join(", ", unreadable.Take(5).Select(u => u.Object)) +
                    (unreadable.Count > 5 ? $" and {unreadable.Count - 5} more" : "");
        return new BulwarkException(ErrorKind.Integrity,
            $"{what}: {(unreadable.Count == 1 ? "the manifest" : $"{unreadable.Count} manifests")} {names} cannot be read ({unreadable[0].Error})",
            "copy the object back from another copy of the repository, or set it aside (move it out of snapshots/, see " +
            "'A damaged manifest' in docs/RUNBOOK.md); 'bulwark verify' lists every damaged object");
    }

    /// <summary>
    /// Reads a snapshot's manifest object and checks it against its id (decrypting it when the repository is
    /// encrypted) without parsing it: whether the manifest still reads, at the cost of one object.
    /// </summary>
    public async Task CheckManifestObjectAsync(ObjectId id, CancellationToken cancellationToken)
    {
        if (await ReadManifestAsync(id, cancellationToken).ConfigureAwait(false) is null)
            throw new BulwarkException(ErrorKind.Integrity, $"manifest {RepositoryLayout.SnapshotName(id)} is missing",
                "run 'bulwark verify' to see what else is affected");
    }

    public async Task<Snapshot> LoadSnapshotAsync(ObjectId id, CancellationToken cancellationToken)
    {
        if (_manifests.TryGetValue(id, out var cached))
            return new Snapshot(id, cached);
        var json = await ReadManifestAsync(id, cancellationToken).ConfigureAwait(false)
                   ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {id.ToShortString()} does not exist in {Location}",
                       "run 'bulwark list' to see the snapshots");
        var manifest = RepositoryJson.Deserialize<SnapshotManifest>(json, $"manifest {RepositoryLayout.SnapshotName(id)}");
        // Checked once, here, so that no reader acts on a malformed manifest (and a restore writes nothing).
        if (ManifestValidation.Problem(manifest, Config.Chunker.MaxSize) is { } problem)
            throw new BulwarkException(ErrorKind.Integrity, $"manifest {RepositoryLayout.SnapshotName(id)} is invalid: {problem}",
                "the manifest is damaged or was not written by Bulwark; restore from another snapshot, and run 'bulwark verify'");
        _manifests[id] = manifest;
        return new Snapshot(id, manifest);
    }

    /// <summary>A manifest's JSON, checked against its id; null when the object does not exist.</summary>
    private async Task<byte[]?> ReadManifestAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var name = RepositoryLayout.SnapshotName(id);
        byte[] stored;
        try
        {
            stored = await Backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        return Codec.Unpack(stored, id, name, ObjectLimits.Manifest);
    }

    /// <summary>Finds a snapshot by "latest", a unique id prefix, or a full id.</summary>
    /// <param name="among">
    /// Limits the choice (one source's snapshots): "latest" is the newest of them, and an id of another is refused
    /// with <paramref name="amongName"/> in the message.
    /// </param>
    public async Task<Snapshot> ResolveSnapshotAsync(string reference, CancellationToken cancellationToken,
        Func<Snapshot, bool>? among = null, string? amongName = null)
    {
        if (among is null)
            return await ResolveAnyAsync(reference, cancellationToken).ConfigureAwait(false);
        if (string.Equals(reference?.Trim(), "latest", StringComparison.OrdinalIgnoreCase))
        {
            var listing = await ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            return listing.Snapshots.LastOrDefault(among)
                ?? throw new BulwarkException(ErrorKind.Usage, $"the repository at {Location} has no snapshot of {amongName ?? "that selection"} yet",
                    listing.Unreadable.Count > 0 ? "some manifests cannot be read: run 'bulwark verify'" : "run 'bulwark backup' for it first");
        }
        var found = await ResolveAnyAsync(reference!, cancellationToken).ConfigureAwait(false);
        return among(found) ? found
            : throw new BulwarkException(ErrorKind.Usage, $"snapshot {found.ShortId} is not one of {amongName ?? "the selection"}",
                "check the snapshot id and --source in 'bulwark list'");
    }

    private async Task<Snapshot> ResolveAnyAsync(string reference, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reference))
            throw new BulwarkException(ErrorKind.Usage, "no snapshot named", "name a snapshot by id prefix or 'latest'");
        if (string.Equals(reference, "latest", StringComparison.OrdinalIgnoreCase))
        {
            // The newest snapshot that reads: a damaged manifest is named (Options.Warning), not in the way.
            var listing = await ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            if (listing.Snapshots.Count > 0)
                return listing.Snapshots[^1];
            if (listing.Unreadable.Count > 0)
                throw UnreadableManifests(listing.Unreadable, $"no snapshot in {Location} can be read");
            throw new BulwarkException(ErrorKind.Usage, $"the repository at {Location} has no snapshots yet",
                "run 'bulwark backup' first");
        }
        var prefix = reference.ToLowerInvariant();
        if (prefix.Length < 4 || !prefix.All(char.IsAsciiHexDigit))
            throw new BulwarkException(ErrorKind.Usage,
                $"'{reference}' is not a snapshot reference", "use 'latest' or at least 4 hex digits of an id");
        var ids = await ListSnapshotIdsAsync(cancellationToken).ConfigureAwait(false);
        var matches = ids.Where(id => id.ToString().StartsWith(prefix, StringComparison.Ordinal)).ToList();
        return matches.Count switch
        {
            1 => await LoadSnapshotAsync(matches[0], cancellationToken).ConfigureAwait(false),
            0 => throw new BulwarkException(ErrorKind.Usage, $"no snapshot {reference} in {Location}",
                "run 'bulwark list' to see the snapshots"),
            _ => throw new BulwarkException(ErrorKind.Usage,
                $"'{reference}' matches {matches.Count} snapshots: {string.Join(", ", matches.Take(5).Select(m => m.ToShortString()))}",
                "give more digits of the id"),
        };
    }

    /// <summary>Removes a snapshot's manifest; its chunks stay until garbage collection.</summary>
    public async Task DeleteSnapshotAsync(ObjectId id, CancellationToken cancellationToken)
    {
        await Backend.DeleteAsync(RepositoryLayout.SnapshotName(id), cancellationToken).ConfigureAwait(false);
        _manifests.TryRemove(id, out _);
    }
}
