using System.Security.Cryptography;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage.Local;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// Builds repositories without a database: chunks of deterministic content and manifests whose streams are
/// consistent (sizes and SHA-256), so that verify --read-data and restore --to-file accept them.
/// </summary>
public sealed class SyntheticRepository
{
    private SyntheticRepository(BackupRepository repository, string root)
    {
        Repository = repository;
        Root = root;
    }

    public BackupRepository Repository { get; }
    public string Root { get; }

    public static async Task<SyntheticRepository> CreateAsync(string root, TimeProvider? time = null)
    {
        var repository = await BackupRepository.InitAsync(new LocalBackend(root),
            new RepositoryOpenOptions { Time = time ?? TimeProvider.System });
        return new SyntheticRepository(repository, root);
    }

    /// <summary>An encrypted repository opened with <paramref name="passphrase"/> (a cheap key derivation, for tests).</summary>
    public static async Task<SyntheticRepository> CreateEncryptedAsync(string root, string passphrase, TimeProvider? time = null)
    {
        var repository = await Bulwark.Repository.Encryption.RepositoryKeys.InitAsync(new LocalBackend(root),
            new RepositoryOpenOptions { Time = time ?? TimeProvider.System }, passphrase,
            new Bulwark.Repository.Encryption.KdfParameters { MemoryKiB = 8 * 1024, Iterations = 1, Parallelism = 1 });
        return new SyntheticRepository(repository, root);
    }

    /// <summary>The plaintext of chunk number <paramref name="n"/>: <paramref name="size"/> bytes, unique per n.</summary>
    public static byte[] ChunkData(int n, int size = 256)
    {
        var data = new byte[size];
        var seed = SHA256.HashData(BitConverter.GetBytes(n));
        for (var i = 0; i < size; i += seed.Length)
            seed.AsSpan(0, Math.Min(seed.Length, size - i)).CopyTo(data.AsSpan(i));
        BitConverter.GetBytes(n).CopyTo(data, 0);
        return data;
    }

    /// <summary>
    /// Writes the chunks numbered <paramref name="chunks"/> (when missing) and commits a snapshot of them in order.
    /// <paramref name="fast"/> writes chunk files directly, without fsync (for large test repositories).
    /// </summary>
    public async Task<Snapshot> AddSnapshotAsync(IEnumerable<int> chunks, DateTimeOffset time, string database = "app",
        IReadOnlyList<string>? tags = null, bool fast = false, TimeSpan? duration = null, BackupStatistics? statistics = null,
        string? source = null, PhysicalBackupInfo? physical = null)
    {
        var refs = new List<ChunkRef>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        foreach (var n in chunks)
        {
            var data = ChunkData(n);
            var id = Repository.ContentId(data);
            var name = RepositoryLayout.ChunkName(id);
            if (fast)
            {
                var path = Path.Combine(Root, name);
                if (!File.Exists(path))
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    await File.WriteAllBytesAsync(path, Repository.Pack(data));
                }
            }
            else if ((await Repository.MissingChunksAsync([id], CancellationToken.None)).Count == 1)
            {
                await Repository.WriteChunkAsync(id, Repository.Pack(data), CancellationToken.None);
            }
            hash.AppendData(data);
            size += data.Length;
            refs.Add(new ChunkRef(id, data.Length));
        }
        return await Repository.CommitSnapshotAsync(new SnapshotManifest
        {
            Time = time,
            EndTime = time + (duration ?? TimeSpan.FromMinutes(1)),
            Statistics = statistics,
            Host = "synthetic",
            Tags = tags ?? [],
            Source = new SourceInfo { Kind = "postgresql", Database = database, Name = source },
            Physical = physical,
            Streams =
            [
                new StreamEntry
                {
                    Name = "database.dump", Kind = "pg_dump", Size = size,
                    Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()), Chunks = refs,
                },
            ],
        }, CancellationToken.None);
    }

    /// <summary>Writes an unreferenced chunk (as a crashed backup leaves) and returns its object name.</summary>
    public async Task<string> AddOrphanAsync(int n)
    {
        var data = ChunkData(n);
        var id = Repository.ContentId(data);
        await Repository.WriteChunkAsync(id, Repository.Pack(data), CancellationToken.None);
        return RepositoryLayout.ChunkName(id);
    }

    public string PathOf(string objectName) => Path.Combine(Root, objectName);

    /// <summary>Sets an object's time, as if it had been written then.</summary>
    public void Age(string objectName, DateTimeOffset time) => File.SetLastWriteTimeUtc(PathOf(objectName), time.UtcDateTime);

    /// <summary>Makes every chunk look written at <paramref name="time"/>.</summary>
    public void AgeAllChunks(DateTimeOffset time)
    {
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Root, "chunks"), "*", SearchOption.AllDirectories))
            File.SetLastWriteTimeUtc(file, time.UtcDateTime);
    }

    public async Task<HashSet<string>> ChunkNamesAsync()
    {
        var names = new HashSet<string>();
        await foreach (var (_, info) in Repository.ListChunksAsync(CancellationToken.None))
            names.Add(info.Name);
        return names;
    }

    public static IEnumerable<string> ChunkNamesOf(Snapshot snapshot) =>
        snapshot.Manifest.Streams.SelectMany(s => s.Chunks).Select(c => RepositoryLayout.ChunkName(c.Id)).Distinct();
}
