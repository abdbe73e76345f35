using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;

namespace Bulwark.Repository;

/// <summary>
/// A Bulwark repository (format v1) on any storage backend: content-addressed chunks, snapshot manifests written
/// last, immutable events and locks. Nothing is modified in place.
/// </summary>
public sealed class BackupRepository : IAsyncDisposable
{
    public const string ConfigName = "config";
    public const string ChunksFolder = "chunks/";
    public const string SnapshotsFolder = "snapshots/";
    public const string EventsFolder = "events/";
    public const string LocksFolder = "locks/";
    public const string KeysFolder = "keys/";

    private readonly ConcurrentDictionary<ObjectId, SnapshotManifest> _manifests = new();
    private readonly ConcurrentDictionary<ObjectId, byte> _warned = new();

    private BackupRepository(IStorageBackend backend, RepositoryConfig config, ObjectCodec codec,
        RepositoryOpenOptions options)
    {
        Backend = backend;
        Config = config;
        Codec = codec;
        Options = options;
        Chunker = new FastCdc(codec.Cipher.Chunker(config.Chunker));
    }

    public IStorageBackend Backend { get; }
    public RepositoryConfig Config { get; }
    public ObjectCodec Codec { get; }
    public FastCdc Chunker { get; }
    public RepositoryOpenOptions Options { get; }
    public TimeProvider Time => Options.Time;

    /// <summary>Where the repository is, safe to print.</summary>
    public string Location => Backend.Location;

    /// <summary>
    /// Creates a repository in an empty location. <paramref name="cipher"/> and <paramref name="encryption"/> come from
    /// the caller when the repository is encrypted (keys are written by the caller before this returns).
    /// </summary>
    public static async Task<BackupRepository> InitAsync(IStorageBackend backend, RepositoryOpenOptions options,
        ChunkerParameters? chunker = null, EncryptionParameters? encryption = null, IObjectCipher? cipher = null,
        CancellationToken cancellationToken = default)
    {
        await backend.CreateAsync(cancellationToken).ConfigureAwait(false);
        if (await backend.StatAsync(ConfigName, cancellationToken).ConfigureAwait(false) is not null)
            throw new BulwarkException(ErrorKind.Repository, $"a repository already exists at {backend.Location}",
                "use it as it is, or choose another location");
        await foreach (var _ in backend.ListAsync(SnapshotsFolder, cancellationToken).ConfigureAwait(false))
            throw new BulwarkException(ErrorKind.Repository,
                $"{backend.Location} holds snapshots but no config object: it is a damaged repository",
                "do not initialise over it; restore its config object from a copy");
        var config = new RepositoryConfig
        {
            Format = RepositoryConfig.CurrentFormat,
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            Created = options.Time.GetUtcNow(),
            Chunker = chunker ?? ChunkerParameters.Default,
            Encryption = encryption,
        };
        config.Chunker.Validate();
        await backend.CreateFoldersAsync(
            [.. Enumerable.Range(0, 256).Select(i => $"{ChunksFolder}{i:x2}/")], cancellationToken).ConfigureAwait(false);
        await backend.PutAsync(ConfigName, RepositoryJson.Serialize(config), cancellationToken).ConfigureAwait(false);
        return new BackupRepository(backend, config, new ObjectCodec(cipher ?? PlainCipher.Instance, options.CompressionLevel), options);
    }

    /// <summary>Opens an existing repository, checking that this build can read its format.</summary>
    public static async Task<BackupRepository> OpenAsync(IStorageBackend backend, RepositoryOpenOptions options,
        CancellationToken cancellationToken = default)
    {
        byte[] raw;
        try
        {
            raw = await backend.GetAsync(ConfigName, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new BulwarkException(ErrorKind.Repository, $"there is no Bulwark repository at {backend.Location}",
                "check the location, or create one with 'bulwark init'");
        }
        if (raw.Length > ObjectLimits.SmallObject)
            throw new BulwarkException(ErrorKind.Repository,
                $"the config object of {backend.Location} is {raw.Length} bytes, more than a config may be ({ObjectLimits.Describe(ObjectLimits.SmallObject)})",
                "restore the config object from a copy of the repository");
        var config = RepositoryJson.Deserialize<RepositoryConfig>(raw, $"the config object of {backend.Location}");
        if (config.Format > RepositoryConfig.CurrentFormat)
            throw new BulwarkException(ErrorKind.Repository,
                $"the repository at {backend.Location} has format {config.Format}; this Bulwark reads format {RepositoryConfig.CurrentFormat} and older",
                "upgrade Bulwark to open it");
        if (config.Format < 1 || config.Chunker is null)
            throw new BulwarkException(ErrorKind.Repository, $"the config object of {backend.Location} is damaged",
                "restore the config object from a copy of the repository");
        CheckConfig(config, backend.Location);
        IObjectCipher cipher = PlainCipher.Instance;
        if (config.Encryption is null)
        {
            // A config that says "plain" next to key objects was altered: writing plaintext there would leak data.
            await foreach (var _ in backend.ListAsync(KeysFolder, cancellationToken).ConfigureAwait(false))
                throw new BulwarkException(ErrorKind.Integrity,
                    $"the config object of {backend.Location} says the repository is not encrypted, but it holds keys",
                    "restore the config object from a copy of the repository; do not write to it meanwhile");
        }
        else
        {
            if (options.OpenCipher is null)
                throw new BulwarkException(ErrorKind.WrongPassphrase,
                    $"the repository at {backend.Location} is encrypted and no passphrase was given",
                    "set BULWARK_PASSWORD or BULWARK_PASSWORD_FILE");
            cipher = await options.OpenCipher(new BulwarkRepositoryContext(backend, config), cancellationToken)
                .ConfigureAwait(false);
        }
        return new BackupRepository(backend, config, new ObjectCodec(cipher, options.CompressionLevel), options);
    }

    /// <summary>
    /// What init writes and every reader relies on: an id that can name a cache folder, chunker sizes FastCDC can use
    /// (they also bound every chunk a reader accepts).
    /// </summary>
    private static void CheckConfig(RepositoryConfig config, string location)
    {
        if (config.Id is not { Length: 32 } || !config.Id.All(char.IsAsciiHexDigitLower))
            throw new BulwarkException(ErrorKind.Repository,
                $"the config object of {location} is damaged: its repository id is not 32 hex digits",
                "restore the config object from a copy of the repository");
        try
        {
            config.Chunker.Validate();
        }
        catch (ArgumentException e)
        {
            throw new BulwarkException(ErrorKind.Repository,
                $"the config object of {location} is damaged: {e.Message}",
                "restore the config object from a copy of the repository");
        }
    }

    // ---- chunks ----

    public static string ChunkName(ObjectId id)
    {
        var hex = id.ToString();
        return string.Concat(ChunksFolder, hex.AsSpan(0, 2), "/", hex);
    }

    public static bool TryParseChunkName(string name, out ObjectId id)
    {
        id = default;
        return name.Length == ChunksFolder.Length + 3 + ObjectId.HexLength &&
               name.StartsWith(ChunksFolder, StringComparison.Ordinal) &&
               ObjectId.TryParse(name[^ObjectId.HexLength..], out id);
    }

    /// <summary>Stores an already packed chunk.</summary>
    public Task WriteChunkAsync(ObjectId id, byte[] packed, CancellationToken cancellationToken) =>
        Backend.PutAsync(ChunkName(id), packed, cancellationToken);

    /// <summary>
    /// Reads the chunk a manifest refers to and checks its content against its id and its length against the
    /// reference (which a loaded manifest keeps within the chunker's maximum): a chunk claiming more is refused before
    /// it is decompressed.
    /// </summary>
    public async Task<byte[]> ReadChunkAsync(ChunkRef chunk, CancellationToken cancellationToken)
    {
        var data = await ReadChunkAsync(chunk.Id, chunk.Length, cancellationToken).ConfigureAwait(false);
        if (data.Length != chunk.Length)
            throw new BulwarkException(ErrorKind.Integrity,
                $"chunk {ChunkName(chunk.Id)} is {data.Length} bytes, but the manifest records {chunk.Length}",
                "run 'bulwark verify --read-data' to find every snapshot it breaks");
        return data;
    }

    /// <summary>
    /// Reads a chunk and checks its content against its id; one larger than the chunker's maximum is refused. Prefer
    /// the <see cref="ChunkRef"/> overload where a reference is at hand: its length is the tighter bound.
    /// </summary>
    public Task<byte[]> ReadChunkAsync(ObjectId id, CancellationToken cancellationToken) =>
        ReadChunkAsync(id, Config.Chunker.MaxSize, cancellationToken);

    private async Task<byte[]> ReadChunkAsync(ObjectId id, int maxSize, CancellationToken cancellationToken)
    {
        var name = ChunkName(id);
        byte[] stored;
        try
        {
            stored = await Backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new BulwarkException(ErrorKind.Integrity, $"chunk {name} is missing from {Location}",
                "run 'bulwark verify' to see which snapshots it breaks");
        }
        return Codec.Unpack(stored, id, name, Math.Min(maxSize, Config.Chunker.MaxSize));
    }

    /// <summary>Every chunk object in the repository.</summary>
    public async IAsyncEnumerable<(ObjectId Id, StorageObjectInfo Info)> ListChunksAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var info in Backend.ListAsync(ChunksFolder, cancellationToken).ConfigureAwait(false))
        {
            if (TryParseChunkName(info.Name, out var id))
                yield return (id, info);
        }
    }

    // ---- snapshots ----

    public static string SnapshotName(ObjectId id) => SnapshotsFolder + id;

    /// <summary>Ids of every committed snapshot.</summary>
    public async Task<IReadOnlyList<ObjectId>> ListSnapshotIdsAsync(CancellationToken cancellationToken)
    {
        var ids = new List<ObjectId>();
        await foreach (var info in Backend.ListAsync(SnapshotsFolder, cancellationToken).ConfigureAwait(false))
        {
            if (ObjectId.TryParse(info.Name[SnapshotsFolder.Length..], out var id))
                ids.Add(id);
        }
        return ids;
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
            throw new BulwarkException(ErrorKind.Integrity, $"manifest {SnapshotName(id)} is missing",
                "run 'bulwark verify' to see what else is affected");
    }

    public async Task<Snapshot> LoadSnapshotAsync(ObjectId id, CancellationToken cancellationToken)
    {
        if (_manifests.TryGetValue(id, out var cached))
            return new Snapshot(id, cached);
        var json = await ReadManifestAsync(id, cancellationToken).ConfigureAwait(false)
                   ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {id.ToShortString()} does not exist in {Location}",
                       "run 'bulwark list' to see the snapshots");
        var manifest = RepositoryJson.Deserialize<SnapshotManifest>(json, $"manifest {SnapshotName(id)}");
        // Checked once, here, so that no reader acts on a malformed manifest (and a restore writes nothing).
        if (ManifestValidation.Problem(manifest, Config.Chunker.MaxSize) is { } problem)
            throw new BulwarkException(ErrorKind.Integrity, $"manifest {SnapshotName(id)} is invalid: {problem}",
                "the manifest is damaged or was not written by Bulwark; restore from another snapshot, and run 'bulwark verify'");
        _manifests[id] = manifest;
        return new Snapshot(id, manifest);
    }

    /// <summary>A manifest's JSON, checked against its id; null when the object does not exist.</summary>
    private async Task<byte[]?> ReadManifestAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var name = SnapshotName(id);
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
    public async Task<Snapshot> ResolveSnapshotAsync(string reference, CancellationToken cancellationToken)
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

    /// <summary>Writes the manifest: after this returns, the snapshot exists.</summary>
    public async Task<Snapshot> CommitSnapshotAsync(SnapshotManifest manifest, CancellationToken cancellationToken)
    {
        // Readers refuse what these checks refuse: committing it would leave a snapshot that cannot be restored.
        if (ManifestValidation.Problem(manifest, Config.Chunker.MaxSize) is { } problem)
            throw new BulwarkException(ErrorKind.Failed, $"refusing to commit an invalid manifest to {Location}: {problem}",
                "nothing was committed; report this as a bug");
        var json = RepositoryJson.Serialize(manifest);
        if (json.Length > ObjectLimits.Manifest)
            throw new BulwarkException(ErrorKind.Failed,
                $"the manifest would be {json.Length} bytes, more than the {ObjectLimits.Describe(ObjectLimits.Manifest)} a manifest may have",
                "nothing was committed; back up fewer or smaller streams per snapshot");
        var id = Codec.ComputeId(json);
        await Backend.PutAsync(SnapshotName(id), Codec.Pack(json), cancellationToken).ConfigureAwait(false);
        _manifests[id] = manifest;
        return new Snapshot(id, manifest);
    }

    /// <summary>Removes a snapshot's manifest; its chunks stay until garbage collection.</summary>
    public async Task DeleteSnapshotAsync(ObjectId id, CancellationToken cancellationToken)
    {
        await Backend.DeleteAsync(SnapshotName(id), cancellationToken).ConfigureAwait(false);
        _manifests.TryRemove(id, out _);
    }

    /// <summary>
    /// Chunk ids referenced by the given snapshots. A backup deduplicates only against chunks referenced by
    /// committed manifests, never against a bare listing: an orphan chunk left by a crash may be damaged or about to
    /// be collected, so it is written again.
    /// </summary>
    public static HashSet<ObjectId> ReferencedChunks(IEnumerable<Snapshot> snapshots)
    {
        var set = new HashSet<ObjectId>();
        foreach (var snapshot in snapshots)
        foreach (var stream in snapshot.Manifest.Streams)
        foreach (var chunk in stream.Chunks)
            set.Add(chunk.Id);
        return set;
    }

    // ---- events ----

    /// <summary>
    /// Stores an immutable record under events/KIND/, named by time and content so that listing gives the order
    /// without reading. Returns the object name. A record larger than <paramref name="maxSize"/>, which readers would
    /// refuse, is not written.
    /// </summary>
    public async Task<string> AppendEventAsync<T>(string kind, T record, CancellationToken cancellationToken,
        int maxSize = ObjectLimits.SmallObject)
    {
        ObjectNames.Validate(kind);
        var json = RepositoryJson.Serialize(record);
        if (json.Length > maxSize)
            throw new BulwarkException(ErrorKind.Failed,
                $"the {kind} event would be {json.Length} bytes, more than the {ObjectLimits.Describe(maxSize)} an event may have",
                "nothing was written; report this as a bug");
        var id = Codec.ComputeId(json);
        var millis = Time.GetUtcNow().ToUnixTimeMilliseconds().ToString("D15", CultureInfo.InvariantCulture);
        var name = $"{EventsFolder}{kind}/{millis}-{id}";
        await Backend.PutAsync(name, Codec.Pack(json), cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>
    /// Every event of a kind, oldest first. One larger than <paramref name="maxSize"/> (default
    /// <see cref="ObjectLimits.SmallObject"/>) is an integrity error naming it.
    /// </summary>
    /// <param name="skipUnreadable">Leave out an event that cannot be read, naming it through
    /// <see cref="RepositoryOpenOptions.Warning"/> (for what only shows events); otherwise it is an error.</param>
    public async Task<IReadOnlyList<T>> ReadEventsAsync<T>(string kind, CancellationToken cancellationToken,
        bool skipUnreadable = false, int maxSize = ObjectLimits.SmallObject)
    {
        ObjectNames.Validate(kind);
        var names = new List<string>();
        await foreach (var info in Backend.ListAsync($"{EventsFolder}{kind}/", cancellationToken).ConfigureAwait(false))
            names.Add(info.Name);
        names.Sort(StringComparer.Ordinal);
        var events = new T[names.Count];
        var read = new bool[names.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var name = names[i];
                var stored = await Backend.GetAsync(name, ct).ConfigureAwait(false);
                var dash = name.LastIndexOf('-');
                try
                {
                    var json = ObjectId.TryParse(name[(dash + 1)..], out var id)
                        ? Codec.Unpack(stored, id, name, maxSize)
                        : Codec.Decode(stored, name, maxSize);
                    events[i] = RepositoryJson.Deserialize<T>(json, $"event {name}");
                    read[i] = true;
                }
                catch (BulwarkException e) when (skipUnreadable && e.Kind == ErrorKind.Integrity)
                {
                    Options.Warning?.Invoke($"event {name} is left out: {e.Message}");
                }
            }).ConfigureAwait(false);
        return skipUnreadable ? events.Where((_, i) => read[i]).ToList() : events;
    }

    /// <summary>
    /// Copies every event under events/<paramref name="prefix"/> that <paramref name="destination"/> lacks. Names keep
    /// their time, so the order is kept; content is re-identified and re-sealed under the destination's key, after
    /// <paramref name="translate"/> when given (null from it: not copied). Returns how many were written. An event
    /// larger than <paramref name="maxSize"/> is an integrity error naming it.
    /// </summary>
    public async Task<int> CopyEventsToAsync(BackupRepository destination, string prefix, CancellationToken cancellationToken,
        Func<byte[], byte[]?>? translate = null, int maxSize = ObjectLimits.SmallObject)
    {
        var folder = EventsFolder + prefix;
        var present = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var info in destination.Backend.ListAsync(folder, cancellationToken).ConfigureAwait(false))
            present.Add(info.Name);
        var written = 0;
        await foreach (var info in Backend.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            var slash = info.Name.LastIndexOf('/');
            var file = info.Name[(slash + 1)..];
            var dash = file.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0 || !ObjectId.TryParse(file[(dash + 1)..], out var id))
                continue;
            var plaintext = Codec.Unpack(await Backend.GetAsync(info.Name, cancellationToken).ConfigureAwait(false), id, info.Name,
                maxSize);
            if (translate is not null)
            {
                if (translate(plaintext) is not { } translated)
                    continue;
                plaintext = translated;
            }
            var name = $"{info.Name[..(slash + 1)]}{file[..dash]}-{destination.Codec.ComputeId(plaintext)}";
            if (present.Contains(name))
                continue;
            await destination.Backend.PutAsync(name, destination.Codec.Pack(plaintext), cancellationToken).ConfigureAwait(false);
            written++;
        }
        return written;
    }

    // ---- locks ----

    /// <summary>Takes a lock; throws <see cref="ErrorKind.RepositoryLocked"/> naming the holder on conflict.</summary>
    public Task<RepositoryLock> LockAsync(LockMode mode, string operation, CancellationToken cancellationToken) =>
        RepositoryLock.AcquireAsync(this, mode, operation, cancellationToken);

    public ValueTask DisposeAsync() => Backend.DisposeAsync();
}
