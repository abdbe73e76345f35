using System.Runtime.CompilerServices;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;

namespace Bulwark.Repository;

// Chunks: content-addressed, written by id, checked against their id on every read.
public sealed partial class BackupRepository
{
    /// <summary>Stores an already packed chunk.</summary>
    public Task WriteChunkAsync(ObjectId id, ReadOnlyMemory<byte> packed, CancellationToken cancellationToken) =>
        Backend.PutAsync(RepositoryLayout.ChunkName(id), packed, cancellationToken);

    /// <summary>Whether a chunk object exists, without reading it.</summary>
    public async Task<bool> ChunkExistsAsync(ObjectId id, CancellationToken cancellationToken) =>
        await Backend.StatAsync(RepositoryLayout.ChunkName(id), cancellationToken).ConfigureAwait(false) is not null;

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
                $"chunk {RepositoryLayout.ChunkName(chunk.Id)} is {data.Length} bytes, but the manifest records {chunk.Length}",
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
        var name = RepositoryLayout.ChunkName(id);
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
