using System.Collections.Concurrent;
using System.Globalization;
using Bulwark.Operations.Encryption;
using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Copy;

/// <summary>
/// Copies snapshots into a second repository, sending only the chunks it lacks. The two may use different keys (or
/// one none): then chunk ids differ, so each chunk is read, checked, re-identified and, when new, re-sealed with the
/// destination's key; the manifest is rewritten with the destination's ids and records where it came from. A
/// snapshot already copied is skipped, so running the same copy twice sends nothing.
/// </summary>
public sealed class CopyOperation
{
    /// <summary>Events copied along with snapshots: the ruleset registry's versions and activations.</summary>
    public const string RulesetEventPrefix = RepositoryLayout.RulesetEvents + "/";

    private readonly BulwarkContext _context;

    public CopyOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>
    /// The destination passphrase: BULWARK_NEW_PASSWORD(_FILE), else a prompt on a terminal, else the source's
    /// (a common setup uses one passphrase for both).
    /// </summary>
    public Task<CopyResult> RunAsync(CopyRequest request, IProgress<long>? progress, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("copy", async scope =>
        {
            var destinationDisplay = _context.Backends.Redact(request.To);
            scope.Details["destination"] = destinationDisplay;
            await using var source = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await using var destination = await OpenDestinationAsync(request.To, cancellationToken).ConfigureAwait(false);
            if (destination.Config.Id == source.Config.Id)
                throw new BulwarkException(ErrorKind.Usage, $"{destinationDisplay} is the same repository as {source.Location}",
                    "copy to another repository");
            await using var sourceLock = await source.LockAsync(LockMode.Shared, "copy", cancellationToken).ConfigureAwait(false);
            await using var destinationLock = await destination.LockAsync(LockMode.Shared, "copy", cancellationToken).ConfigureAwait(false);

            var (snapshots, unreadable) = await SelectAsync(source, request.Snapshots, cancellationToken).ConfigureAwait(false);
            // A damaged manifest in the destination is not in the way: the copy writes its snapshot again.
            var existing = (await destination.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots;
            var present = existing.Where(s => s.Manifest.CopiedFrom?.Repository == source.Config.Id)
                .Select(s => s.Manifest.CopiedFrom!.Snapshot).ToHashSet(StringComparer.Ordinal);
            var destinationIds = existing.Select(s => s.Id.ToString()).ToHashSet(StringComparer.Ordinal);
            var copier = new ChunkCopier(source, destination, BackupRepository.ReferencedChunks(existing),
                _context.Settings.Backup.Parallelism > 0 ? _context.Settings.Backup.Parallelism : 8, progress);

            var copied = new List<CopiedSnapshot>();
            var skipped = new List<string>();
            foreach (var snapshot in snapshots)
            {
                // Already there: copied before, or itself a copy of a snapshot the destination holds.
                if (present.Contains(snapshot.Id.ToString()) ||
                    (snapshot.Manifest.CopiedFrom is { } origin && origin.Repository == destination.Config.Id &&
                     destinationIds.Contains(origin.Snapshot)))
                {
                    skipped.Add(snapshot.ShortId);
                    continue;
                }
                var streams = new List<StreamEntry>();
                foreach (var stream in snapshot.Manifest.Streams)
                    streams.Add(stream with { Chunks = await copier.CopyAsync(stream.Chunks, cancellationToken).ConfigureAwait(false) });
                cancellationToken.ThrowIfCancellationRequested();
                var manifest = snapshot.Manifest with
                {
                    Streams = streams,
                    CopiedFrom = new CopyOrigin { Repository = source.Config.Id, Snapshot = snapshot.Id.ToString() },
                };
                // Committed as a backup is: a cleanup of the destination may have swept beside this copy.
                var committed = await destination.CommitSnapshotAsync(manifest, destinationLock,
                    _context.Settings.Cleanup.ClockSkewValue, cancellationToken).ConfigureAwait(false);
                copied.Add(new CopiedSnapshot(snapshot.ShortId, committed.ShortId));
                scope.Bytes += snapshot.Manifest.TotalSize;
            }
            // The ruleset registry lives in events: an offsite copy must be able to bring it back too.
            var events = await source.CopyEventsToAsync(destination, RulesetEventPrefix, cancellationToken,
                maxSize: RulesetRegistry.MaxEventSize).ConfigureAwait(false);
            scope.Details["eventsCopied"] = events.ToString(CultureInfo.InvariantCulture);
            var proofs = await CopyDrillsAsync(source, destination, cancellationToken).ConfigureAwait(false);
            scope.Details["drillsCopied"] = proofs.ToString(CultureInfo.InvariantCulture);
            scope.Snapshot = string.Join(",", copied.Select(c => c.Source));
            scope.Details["copied"] = copied.Count.ToString(CultureInfo.InvariantCulture);
            scope.Details["alreadyThere"] = skipped.Count.ToString(CultureInfo.InvariantCulture);
            scope.Details["chunksSent"] = copier.ChunksSent.ToString(CultureInfo.InvariantCulture);
            scope.Details["bytesSent"] = copier.BytesSent.ToString(CultureInfo.InvariantCulture);
            // The others are copied; the ones that could not be are a failure all the same.
            if (unreadable.Count > 0)
                throw BackupRepository.UnreadableManifests(unreadable,
                    $"{copied.Count} snapshot(s) copied and {skipped.Count} already there, but not every snapshot");
            return new CopyResult
            {
                Destination = destinationDisplay,
                Copied = copied,
                AlreadyThere = skipped,
                ChunksSent = copier.ChunksSent,
                BytesSent = copier.BytesSent,
                ChunksReused = copier.ChunksReused,
                EventsCopied = events,
                DrillsCopied = proofs,
            };
        });

    /// <summary>
    /// The restore drills of copied snapshots, addressed to their copies (with the source repository named in
    /// "provenIn"): a copy holds the same dump, byte for byte, so the offsite repository shows, and its retention
    /// spares, what was proven restorable. Verifications are not brought: they proved the source's stored chunks.
    /// </summary>
    private static async Task<int> CopyDrillsAsync(BackupRepository source, BackupRepository destination, CancellationToken cancellationToken)
    {
        var copies = (await destination.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots
            .Where(s => s.Manifest.CopiedFrom?.Repository == source.Config.Id)
            .GroupBy(s => s.Manifest.CopiedFrom!.Snapshot, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Id.ToString(), StringComparer.Ordinal);
        if (copies.Count == 0)
            return 0;
        return await source.CopyEventsToAsync(destination, RepositoryLayout.ProofEvents + "/", cancellationToken, plaintext =>
        {
            var proof = RepositoryJson.Deserialize<ProofRecord>(plaintext, "proof event");
            if (proof.Kind != ProofRecord.Drill || !copies.TryGetValue(proof.Snapshot, out var copy))
                return null;
            var details = new Dictionary<string, string>(proof.Details ?? new Dictionary<string, string>(), StringComparer.Ordinal)
            {
                ["provenIn"] = source.Config.Id,
            };
            return RepositoryJson.Serialize(proof with { Snapshot = copy, Details = details });
        }).ConfigureAwait(false);
    }

    private async Task<BackupRepository> OpenDestinationAsync(string location, CancellationToken cancellationToken)
    {
        var backend = _context.Backends.Open(location);
        try
        {
            return await BackupRepository.OpenAsync(backend, _context.RepositoryOptions with
            {
                OpenCipher = async (repository, ct) =>
                {
                    var passphrase = await Passphrases.FindAsync(_context.Config.GetEnvironment, _context.PassphrasePrompt,
                        PassphraseRole.Destination, repository.Location, ct).ConfigureAwait(false);
                    var fallback = passphrase is null;
                    passphrase ??= await Passphrases.FindAsync(_context.Config.GetEnvironment, null, PassphraseRole.Repository,
                        repository.Location, ct).ConfigureAwait(false);
                    if (passphrase is null)
                        throw new BulwarkException(ErrorKind.WrongPassphrase, $"no passphrase given for the destination {repository.Location}",
                            $"set {Passphrases.Describe(PassphraseRole.Destination)}, or run on a terminal to be asked");
                    try
                    {
                        return await LastKeyCache.OpenAsync(_context.Config.StateDirectory, repository, passphrase, ct).ConfigureAwait(false);
                    }
                    catch (BulwarkException e) when (e.Kind == ErrorKind.WrongPassphrase)
                    {
                        throw new BulwarkException(ErrorKind.WrongPassphrase,
                            fallback ? $"the source's passphrase does not open the destination {repository.Location}" : e.Message,
                            $"set {Passphrases.Describe(PassphraseRole.Destination)} to the destination's passphrase");
                    }
                },
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The snapshots named (each must read), or every one that reads and apart from them those that do not.</summary>
    /// <summary>The snapshots named, or every one; of the context's source only (copy --source).</summary>
    private async Task<(IReadOnlyList<Snapshot> Snapshots, IReadOnlyList<UnreadableSnapshot> Unreadable)> SelectAsync(
        BackupRepository source, IReadOnlyList<string> references, CancellationToken cancellationToken)
    {
        if (references.Count == 0)
        {
            var listing = await source.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false);
            return (_context.SnapshotFilter is { } filter ? listing.Snapshots.Where(filter).ToList() : listing.Snapshots, listing.Unreadable);
        }
        var selected = new List<Snapshot>();
        foreach (var reference in references)
        {
            var snapshot = await _context.ResolveSnapshotAsync(source, reference, cancellationToken).ConfigureAwait(false);
            if (selected.All(s => s.Id != snapshot.Id))
                selected.Add(snapshot);
        }
        return (selected.OrderBy(s => s.Manifest.Time).ToList(), []);
    }

    /// <summary>Moves chunks from one repository to the other, each at most once per copy.</summary>
    private sealed class ChunkCopier
    {
        private readonly BackupRepository _source;
        private readonly BackupRepository _destination;
        private readonly HashSet<ObjectId> _known;
        private readonly int _parallelism;
        private readonly IProgress<long>? _progress;
        private readonly bool _sameIds;
        private readonly ConcurrentDictionary<ObjectId, ObjectId> _translated = new();
        private readonly ConcurrentDictionary<ObjectId, Task> _sent = new();
        private int _chunksSent;
        private int _chunksReused;
        private long _bytesSent;

        public ChunkCopier(BackupRepository source, BackupRepository destination, HashSet<ObjectId> known,
            int parallelism, IProgress<long>? progress)
        {
            _source = source;
            _destination = destination;
            _known = known;
            _parallelism = parallelism;
            _progress = progress;
            // Unkeyed ids (SHA-256 of the plaintext) are the same in both: a chunk the destination has needs no read.
            _sameIds = !source.Encrypted && !destination.Encrypted;
        }

        public int ChunksSent => _chunksSent;
        public int ChunksReused => _chunksReused;
        public long BytesSent => Interlocked.Read(ref _bytesSent);

        public async Task<IReadOnlyList<ChunkRef>> CopyAsync(IReadOnlyList<ChunkRef> chunks, CancellationToken cancellationToken)
        {
            var result = new ChunkRef[chunks.Count];
            await Parallel.ForEachAsync(Enumerable.Range(0, chunks.Count),
                new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    var chunk = chunks[i];
                    result[i] = chunk with { Id = await CopyAsync(chunk, ct).ConfigureAwait(false) };
                    _progress?.Report(chunk.Length);
                }).ConfigureAwait(false);
            return result;
        }

        private async Task<ObjectId> CopyAsync(ChunkRef chunk, CancellationToken cancellationToken)
        {
            var sourceId = chunk.Id;
            if (_sameIds && _known.Contains(sourceId))
            {
                Interlocked.Increment(ref _chunksReused);
                return sourceId;
            }
            if (_translated.TryGetValue(sourceId, out var translated) && _sent.TryGetValue(translated, out var pending))
            {
                await pending.ConfigureAwait(false); // sent (or being sent) earlier in this copy
                return translated;
            }
            var data = await _source.ReadChunkAsync(chunk, cancellationToken).ConfigureAwait(false);
            var id = _destination.ContentId(data);
            if (_known.Contains(id))
            {
                _sent.TryAdd(id, Task.CompletedTask);
                _translated[sourceId] = id;
                Interlocked.Increment(ref _chunksReused);
                return id;
            }
            var send = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var existing = _sent.GetOrAdd(id, send.Task);
            _translated[sourceId] = id;
            if (existing != send.Task)
            {
                await existing.ConfigureAwait(false); // another worker sends the same content
                return id;
            }
            try
            {
                var packed = _destination.Pack(data);
                await _destination.WriteChunkAsync(id, packed, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _chunksSent);
                Interlocked.Add(ref _bytesSent, packed.Length);
                send.SetResult();
            }
            catch (Exception e)
            {
                send.SetException(e);
                throw;
            }
            return id;
        }
    }
}
