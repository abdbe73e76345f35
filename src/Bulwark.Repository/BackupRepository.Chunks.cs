using System.Runtime.CompilerServices;
using Bulwark.Repository.Format;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage;
using Bulwark.Storage.Local;

namespace Bulwark.Repository;

// Chunks: content-addressed, written by id, checked against their id on every read.
public sealed partial class BackupRepository
{
    /// <summary>
    /// Stores an already packed chunk. It becomes durable at the next commit (<see cref="SyncChunkFoldersAsync"/>), the
    /// first write that refers to it; a local folder writes it in place, without a temporary file, a rename and an fsync
    /// of its folder per chunk. Until then a crash may leave it cut off, so only chunks that committed snapshots refer to
    /// are trusted to be there.
    /// </summary>
    public async Task WriteChunkAsync(ObjectId id, ReadOnlyMemory<byte> packed, CancellationToken cancellationToken)
    {
        await Backend.PutUnsyncedAsync(RepositoryLayout.ChunkName(id), packed, cancellationToken).ConfigureAwait(false);
        // Marked after the put: a sync that clears the mark while this put is under way leaves it marked again.
        Volatile.Write(ref _unsyncedChunkFolders[id.FirstByte], 1);
    }

    /// <summary>The chunk folders (by their first byte) that received a chunk since the last sync.</summary>
    private readonly int[] _unsyncedChunkFolders = new int[256];

    /// <summary>Makes the chunks written since the last call durable; called before a manifest is written.</summary>
    private async Task SyncChunkFoldersAsync(CancellationToken cancellationToken)
    {
        var folders = new List<int>();
        for (var i = 0; i < _unsyncedChunkFolders.Length; i++)
        {
            if (Interlocked.Exchange(ref _unsyncedChunkFolders[i], 0) == 1)
                folders.Add(i);
        }
        if (folders.Count == 0)
            return;
        try
        {
            await Backend.SyncFoldersAsync([.. folders.Select(RepositoryLayout.ChunkFolder)], cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var folder in folders)
                Volatile.Write(ref _unsyncedChunkFolders[folder], 1);
            throw;
        }
    }

    /// <summary>
    /// The chunks of <paramref name="ids"/> that are not stored, in the order given, without reading any. In a local
    /// folder each is looked up with nothing allocated per chunk (a check looks up every chunk of a snapshot); elsewhere
    /// each is asked for.
    /// </summary>
    public async Task<List<ObjectId>> MissingChunksAsync(IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
            return [];
        var missing = new bool[ids.Count];
        if (Capabilities.LocalFolder is { } folder)
        {
            using var probe = new LocalFolderProbe(Path.Combine(folder, RepositoryLayout.ChunksFolder));
            // Contiguous ranges, a few at a time: a cold cache waits on the disk per lookup.
            var ranges = System.Collections.Concurrent.Partitioner.Create(0, ids.Count, Math.Max(256, ids.Count / 16));
            try
            {
                Parallel.ForEach(ranges, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, range =>
                {
                    Span<char> name = stackalloc char[3 + ObjectId.HexLength];
                    for (var i = range.Item1; i < range.Item2; i++)
                    {
                        ids[i].FormatHex(name[3..]);
                        name.Slice(3, 2).CopyTo(name);
                        name[2] = '/';
                        missing[i] = !probe.FileExists(name);
                    }
                });
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // The lookup's own error (a folder that cannot be read), as the backend would report it.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        else
        {
            await Parallel.ForAsync(0, ids.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
                async (i, ct) => missing[i] = await Backend.StatAsync(RepositoryLayout.ChunkName(ids[i]), ct).ConfigureAwait(false) is null)
                .ConfigureAwait(false);
        }
        var result = new List<ObjectId>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (missing[i])
                result.Add(ids[i]);
        }
        return result;
    }

    /// <summary>
    /// Reads the chunk a manifest refers to and checks its content against its id and its length against the
    /// reference (which a loaded manifest keeps within the chunker's maximum): a chunk claiming more is refused before
    /// it is decompressed.
    /// </summary>
    public async Task<byte[]> ReadChunkAsync(ChunkRef chunk, CancellationToken cancellationToken)
    {
        var data = await ReadChunkAsync(chunk.Id, chunk.Length, cancellationToken).ConfigureAwait(false);
        CheckLength(chunk, data.Length);
        return data;
    }

    /// <summary>
    /// <see cref="ReadChunkAsync(ChunkRef, CancellationToken)"/> into a buffer of <paramref name="buffers"/>, which the
    /// caller returns once done with it (a failed read returns its own).
    /// </summary>
    internal async Task<(byte[] Buffer, int Length)> ReadChunkAsync(ChunkRef chunk, BufferPool buffers, CancellationToken cancellationToken)
    {
        var name = RepositoryLayout.ChunkName(chunk.Id);
        var stored = buffers.Rent();
        var buffer = buffers.Rent();
        try
        {
            ArraySegment<byte> read;
            try
            {
                read = await Backend.GetAsync(name, stored, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                throw Missing(name);
            }
            var length = Codec.Unpack(read, chunk.Id, name, Math.Min(Math.Min(chunk.Length, Config.Chunker.MaxSize), buffers.Size), buffer);
            CheckLength(chunk, length);
            return (buffer, length);
        }
        catch
        {
            buffers.Return(buffer);
            throw;
        }
        finally
        {
            buffers.Return(stored);
        }
    }

    /// <summary>
    /// Buffers for <see cref="ReadChunkAsync(ChunkRef, BufferPool, CancellationToken)"/>, each the largest stored chunk's
    /// size, shared by every stream read from this repository: a pool per stream would leave one garbage pool per table
    /// of a parallel restore, which only a full collection takes back. Readers bound how many are out at once.
    /// </summary>
    internal BufferPool ChunkBuffers => LazyInitializer.EnsureInitialized(ref _chunkBuffers,
        () => new BufferPool(Config.Chunker.MaxSize + ObjectCodec.StoredOverhead));

    private BufferPool? _chunkBuffers;

    private static void CheckLength(ChunkRef chunk, int length)
    {
        if (length != chunk.Length)
            throw new BulwarkException(ErrorKind.Integrity,
                $"chunk {RepositoryLayout.ChunkName(chunk.Id)} is {length} bytes, but the manifest records {chunk.Length}",
                "run 'bulwark verify --read-data' to find every snapshot it breaks");
    }

    /// <summary>
    /// Reads a chunk and checks its content against its id; one larger than the chunker's maximum is refused. Prefer
    /// the <see cref="ChunkRef"/> overload where a reference is at hand: its length is the tighter bound.
    /// </summary>
    public Task<byte[]> ReadChunkAsync(ObjectId id, CancellationToken cancellationToken) =>
        ReadChunkAsync(id, Config.Chunker.MaxSize, cancellationToken);

    private async Task<byte[]> ReadChunkAsync(ObjectId id, int maxSize, CancellationToken cancellationToken)
    {
        var (stored, name) = await GetChunkAsync(id, cancellationToken).ConfigureAwait(false);
        return Codec.Unpack(stored, id, name, Math.Min(maxSize, Config.Chunker.MaxSize));
    }

    private async Task<(byte[] Stored, string Name)> GetChunkAsync(ObjectId id, CancellationToken cancellationToken)
    {
        var name = RepositoryLayout.ChunkName(id);
        try
        {
            return (await Backend.GetAsync(name, cancellationToken).ConfigureAwait(false), name);
        }
        catch (ObjectNotFoundException)
        {
            throw Missing(name);
        }
    }

    private BulwarkException Missing(string name) =>
        new(ErrorKind.Integrity, $"chunk {name} is missing from {Location}", "run 'bulwark verify' to see which snapshots it breaks");

    /// <summary>Every chunk object in the repository.</summary>
    public async IAsyncEnumerable<(ObjectId Id, StorageObjectInfo Info)> ListChunksAsync(
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var info in Backend.ListAsync(RepositoryLayout.ChunksFolder, cancellationToken).ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseChunkName(info.Name, out var id))
                yield return (id, info);
        }
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
}
