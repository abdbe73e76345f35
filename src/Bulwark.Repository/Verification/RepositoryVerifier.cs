using System.Security.Cryptography;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Verification;

/// <summary>
/// Checks snapshots. Structure: every manifest opens and every chunk it references exists. With read-data: every
/// chunk is read, decompressed and checked against its id, and every stream's length and SHA-256 are recomputed.
/// Problems are collected, not thrown, so that one run names everything that is wrong.
/// </summary>
public static class RepositoryVerifier
{
    public static async Task<VerifyReport> VerifyAsync(BackupRepository repository,
        IReadOnlyList<ObjectId>? snapshotIds, bool readData, IProgress<long>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var problems = new List<VerifyProblem>();
        var ids = snapshotIds ?? await repository.ListSnapshotIdsAsync(cancellationToken).ConfigureAwait(false);
        var snapshots = new List<Snapshot>();
        foreach (var id in ids)
        {
            try
            {
                snapshots.Add(await repository.LoadSnapshotAsync(id, cancellationToken).ConfigureAwait(false));
            }
            catch (BulwarkException e) when (e.Kind is ErrorKind.Integrity or ErrorKind.Usage)
            {
                problems.Add(new VerifyProblem(RepositoryLayout.SnapshotName(id), e.Message, [id.ToShortString()]));
            }
        }

        var users = new Dictionary<ObjectId, List<string>>();
        foreach (var snapshot in snapshots)
        foreach (var stream in snapshot.Manifest.Streams)
        foreach (var chunk in stream.Chunks)
        {
            if (!users.TryGetValue(chunk.Id, out var list))
                users[chunk.Id] = list = [];
            if (list.Count == 0 || list[^1] != snapshot.ShortId)
                list.Add(snapshot.ShortId);
        }

        var present = new HashSet<ObjectId>();
        await foreach (var (id, _) in repository.ListChunksAsync(cancellationToken).ConfigureAwait(false))
            present.Add(id);
        var bad = new HashSet<ObjectId>();
        foreach (var (id, list) in users)
        {
            if (present.Contains(id))
                continue;
            bad.Add(id);
            problems.Add(new VerifyProblem(RepositoryLayout.ChunkName(id), "chunk is missing", list));
        }

        long bytesRead = 0;
        var streamsChecked = 0;
        if (readData)
        {
            foreach (var snapshot in snapshots)
            foreach (var stream in snapshot.Manifest.Streams)
            {
                var read = await CheckStreamAsync(repository, snapshot, stream, bad, users, problems, progress,
                    cancellationToken).ConfigureAwait(false);
                bytesRead += read;
                streamsChecked++;
            }
        }

        return new VerifyReport
        {
            SnapshotsChecked = snapshots.Count,
            ChunksChecked = users.Count,
            StreamsChecked = streamsChecked,
            BytesRead = bytesRead,
            ReadData = readData,
            Problems = problems,
        };
    }

    private static async Task<long> CheckStreamAsync(BackupRepository repository, Snapshot snapshot,
        StreamEntry stream, HashSet<ObjectId> bad, Dictionary<ObjectId, List<string>> users,
        List<VerifyProblem> problems, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var complete = true;
        long size = 0;
        var buffers = repository.ChunkBuffers;
        var pending = new Queue<(ChunkRef Ref, Task<(byte[] Buffer, int Length)>? Read)>();
        var next = 0;
        while (next < stream.Chunks.Count || pending.Count > 0)
        {
            while (next < stream.Chunks.Count && pending.Count < Streams.StreamReading.DefaultReadAhead)
            {
                var chunk = stream.Chunks[next++];
                pending.Enqueue((chunk, bad.Contains(chunk.Id)
                    ? null
                    : Task.Run(() => repository.ReadChunkAsync(chunk, buffers, cancellationToken), cancellationToken)));
            }
            var (chunkRef, read) = pending.Dequeue();
            if (read is null)
            {
                complete = false;
                continue;
            }
            try
            {
                // ReadChunkAsync(ChunkRef) has checked the length against the reference.
                var (buffer, length) = await read.ConfigureAwait(false);
                hash.AppendData(buffer, 0, length);
                buffers.Return(buffer);
                size += length;
                progress?.Report(length);
            }
            catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
            {
                complete = false;
                if (bad.Add(chunkRef.Id))
                    problems.Add(new VerifyProblem(RepositoryLayout.ChunkName(chunkRef.Id), e.Message,
                        users.TryGetValue(chunkRef.Id, out var list) ? list : [snapshot.ShortId]));
            }
        }
        if (complete)
        {
            var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (size != stream.Size || sha != stream.Sha256)
                problems.Add(new VerifyProblem($"{RepositoryLayout.SnapshotName(snapshot.Id)}#{stream.Name}",
                    $"stream does not match its checksum (size {size}, manifest {stream.Size})", [snapshot.ShortId]));
        }
        return size;
    }
}
