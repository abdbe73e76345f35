using System.Runtime.CompilerServices;
using Bulwark.Repository;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Crash;

/// <summary>
/// A backup writes its chunks to a local folder without an fsync each, and syncs the file system once before the
/// manifest commits the snapshot. A power loss cannot be caused here, so its worst outcome is played on a real local
/// repository: every chunk file written since the last sync is truncated to nothing (the rename reached the disk, the
/// data did not). No committed snapshot may lose a byte, and the next backup must write the damaged chunks again.
/// </summary>
public sealed class PowerLossTests : IDisposable
{
    private readonly TempDirectory _directory = new("bulwark-power");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Commit_SyncsAfterEveryChunkPut_AndBeforeTheManifest()
    {
        var disk = new PowerLossBackend(new LocalBackend(_directory.Combine("repo")));
        await using var repository = await InitAsync(disk);

        await StoreAsync(repository, Data(1), known: new HashSet<ObjectId>());

        var chunkPuts = disk.Operations.Select((op, i) => (op, i)).Where(x => x.op.StartsWith("put-unsynced chunks/", StringComparison.Ordinal)).ToList();
        Assert.True(chunkPuts.Count > 10, $"{chunkPuts.Count} chunk puts");
        var sync = disk.Operations.IndexOf("sync");
        var manifest = disk.Operations.FindIndex(op => op.StartsWith("put snapshots/", StringComparison.Ordinal));
        Assert.True(sync > chunkPuts[^1].i, "the sync comes after the last chunk put");
        Assert.True(manifest > sync, "the manifest is written after the sync");
        Assert.Equal(0, disk.LoseUnsyncedWrites());
    }

    [Fact]
    public async Task PowerLossBeforeTheCommit_DamagesNoCommittedSnapshot_AndTheNextBackupRewritesTheLostChunks()
    {
        var disk = new PowerLossBackend(new LocalBackend(_directory.Combine("repo")));
        await using var repository = await InitAsync(disk);
        var first = Data(1);
        var second = Data(2);
        var committed = await StoreAsync(repository, first, known: new HashSet<ObjectId>());

        // A backup of other data writes its chunks, then the power fails before its manifest is written.
        var known = BackupRepository.ReferencedChunks([committed]);
        await new StreamUploader(repository, known).UploadAsync("database.dump", "test", new MemoryStream(second), cancellationToken: Ct);
        var damaged = disk.LoseUnsyncedWrites();
        Assert.True(damaged > 10, $"{damaged} chunk files damaged");

        // After the restart: the committed snapshot reads back whole (every chunk is checked against its id).
        await using (var reopened = await BackupRepository.OpenAsync(new LocalBackend(_directory.Combine("repo")), new RepositoryOpenOptions(), Ct))
            Assert.Equal(first, await ReadAsync(reopened, (await reopened.ResolveSnapshotAsync("latest", Ct)).Manifest));

        // The next backup trusts only committed chunks, so it writes the damaged ones again, and its snapshot survives
        // a power loss right after its commit.
        var next = await StoreAsync(repository, second, BackupRepository.ReferencedChunks([committed]));
        Assert.Equal(0, disk.LoseUnsyncedWrites());
        await using (var reopened = await BackupRepository.OpenAsync(new LocalBackend(_directory.Combine("repo")), new RepositoryOpenOptions(), Ct))
        {
            Assert.Equal(second, await ReadAsync(reopened, (await reopened.LoadSnapshotAsync(next.Id, Ct)).Manifest));
            Assert.Equal(first, await ReadAsync(reopened, (await reopened.LoadSnapshotAsync(committed.Id, Ct)).Manifest));
        }
    }

    private static Task<BackupRepository> InitAsync(IStorageBackend backend) =>
        BackupRepository.InitAsync(backend, new RepositoryOpenOptions(), new ChunkerParameters(4 * 1024, 16 * 1024, 64 * 1024, 0),
            cancellationToken: Ct);

    private static byte[] Data(int seed)
    {
        var data = new byte[1 << 20];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task<Snapshot> StoreAsync(BackupRepository repository, byte[] data, IReadOnlySet<ObjectId> known)
    {
        var entry = await new StreamUploader(repository, known).UploadAsync("database.dump", "test", new MemoryStream(data), cancellationToken: Ct);
        return await repository.CommitSnapshotAsync(new SnapshotManifest
        {
            Time = DateTimeOffset.UtcNow,
            EndTime = DateTimeOffset.UtcNow,
            Host = "test",
            Source = new SourceInfo { Kind = "test", Database = "db" },
            Streams = [entry],
        }, Ct);
    }

    private static async Task<byte[]> ReadAsync(BackupRepository repository, SnapshotManifest manifest)
    {
        var output = new MemoryStream();
        await repository.CopyStreamAsync(manifest.Streams[0], output, cancellationToken: Ct);
        return output.ToArray();
    }

    /// <summary>
    /// A local folder whose writes not yet synced can be lost on demand, as a power loss would lose them; it records the
    /// order of puts and syncs.
    /// </summary>
    private sealed class PowerLossBackend(LocalBackend inner) : IStorageBackend
    {
        private readonly HashSet<string> _unsynced = [];

        public List<string> Operations { get; } = [];

        public string Location => inner.Location;

        public StorageCapabilities Capabilities => inner.Capabilities;

        /// <summary>Truncates every object put unsynced since the last sync; how many there were.</summary>
        public int LoseUnsyncedWrites()
        {
            lock (_unsynced)
            {
                foreach (var name in _unsynced)
                {
                    using var file = new FileStream(Path.Combine(inner.Location, name), FileMode.Open, FileAccess.Write);
                    file.SetLength(0);
                }
                var count = _unsynced.Count;
                _unsynced.Clear();
                return count;
            }
        }

        public Task CreateAsync(CancellationToken cancellationToken) => inner.CreateAsync(cancellationToken);

        public Task CreateFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
            inner.CreateFoldersAsync(prefixes, cancellationToken);

        public async Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await inner.PutAsync(name, data, cancellationToken);
            lock (_unsynced)
            {
                Operations.Add($"put {name}");
                _unsynced.Remove(name);
            }
        }

        public async Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            await inner.PutUnsyncedAsync(name, data, cancellationToken);
            lock (_unsynced)
            {
                Operations.Add($"put-unsynced {name}");
                _unsynced.Add(name);
            }
        }

        public async Task SyncAsync(CancellationToken cancellationToken)
        {
            await inner.SyncAsync(cancellationToken);
            lock (_unsynced)
            {
                Operations.Add("sync");
                _unsynced.Clear();
            }
        }

        public Task<byte[]> GetAsync(string name, CancellationToken cancellationToken) => inner.GetAsync(name, cancellationToken);

        public Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) => inner.StatAsync(name, cancellationToken);

        public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var info in inner.ListAsync(prefix, cancellationToken))
                yield return info;
        }

        public Task DeleteAsync(string name, CancellationToken cancellationToken) => inner.DeleteAsync(name, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
