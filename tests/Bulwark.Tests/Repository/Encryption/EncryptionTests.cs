using System.Security.Cryptography;
using Bulwark.Repository;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository.Encryption;

public sealed class EncryptionTests : IDisposable
{
    /// <summary>Weak settings so that the tests run quickly; the defaults are checked in their own test.</summary>
    internal static readonly KdfParameters FastKdf = new() { MemoryKiB = 8 * 1024, Iterations = 1, Parallelism = 1 };

    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RepositoryOpenOptions Options(string? passphrase) => new()
    {
        OpenCipher = passphrase is null ? null : (context, ct) => RepositoryKeys.OpenAsync(context, passphrase, ct),
    };

    private string Folder(string name = "repo") => _directory.Combine(name);

    private Task<BackupRepository> InitAsync(string passphrase, string name = "repo") =>
        RepositoryKeys.InitAsync(new LocalBackend(Folder(name)), Options(passphrase), passphrase, FastKdf, cancellationToken: Ct);

    private Task<BackupRepository> OpenAsync(string? passphrase, string name = "repo") =>
        BackupRepository.OpenAsync(new LocalBackend(Folder(name)), Options(passphrase), Ct);

    private static byte[] Text(int size, int seed = 1)
    {
        // Compressible, recognisable content: a plaintext marker that must not survive into storage.
        var data = new byte[size];
        var random = new Random(seed);
        for (var i = 0; i < size; i++)
            data[i] = (byte)"SECRETPAYLOAD-abcdefghij"[random.Next(24)];
        return data;
    }

    private static async Task<Snapshot> StoreAsync(BackupRepository repository, byte[] data)
    {
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());
        var entry = await uploader.UploadAsync("database.dump", "test", new MemoryStream(data), cancellationToken: Ct);
        return await repository.CommitSnapshotAsync(new SnapshotManifest
        {
            Time = DateTimeOffset.UtcNow,
            EndTime = DateTimeOffset.UtcNow,
            Host = "test",
            Source = new SourceInfo { Kind = "test", Database = "db" },
            Streams = [entry],
        }, Ct);
    }

    private static async Task<byte[]> ReadAsync(BackupRepository repository, Snapshot snapshot)
    {
        var output = new MemoryStream();
        await repository.CopyStreamAsync(snapshot.Manifest.Streams[0], output, cancellationToken: Ct);
        return output.ToArray();
    }

    [Fact]
    public async Task EveryObject_IsEncrypted_AndIdsRevealNothing()
    {
        var data = Text(3 << 20);
        ObjectId snapshotId;
        await using (var repository = await InitAsync("correct horse"))
        {
            var snapshot = await StoreAsync(repository, data);
            snapshotId = snapshot.Id;
            await repository.AppendEventAsync("notes", new { text = "SECRETPAYLOAD event" }, Ct, json: TestJson.Reflection);
            // Chunk ids are keyed: the SHA-256 of a chunk's plaintext is not its name.
            var first = snapshot.Manifest.Streams[0].Chunks[0];
            Assert.NotEqual(ObjectId.Sha256(data.AsSpan(0, first.Length)), first.Id);
        }
        foreach (var file in Directory.EnumerateFiles(Folder(), "*", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(file, Ct);
            Assert.Equal(-1, bytes.AsSpan().IndexOf("SECRETPAYLOAD"u8));
            Assert.Equal(-1, bytes.AsSpan().IndexOf("database.dump"u8));
        }
        await using var reopened = await OpenAsync("correct horse");
        Assert.Equal(data, await ReadAsync(reopened, await reopened.LoadSnapshotAsync(snapshotId, Ct)));
    }

    [Fact]
    public async Task WrongPassphrase_FailsFastWithItsOwnKind()
    {
        await (await InitAsync("right")).DisposeAsync();
        var wrong = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("wrong"));
        Assert.Equal(ErrorKind.WrongPassphrase, wrong.Kind);
        Assert.DoesNotContain("wrong", wrong.Message.Replace("does not open", ""));
        var none = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync(null));
        Assert.Equal(ErrorKind.WrongPassphrase, none.Kind);
    }

    [Fact]
    public async Task ModifiedChunk_IsDetectedAndNamed()
    {
        Snapshot snapshot;
        await using (var repository = await InitAsync("p"))
            snapshot = await StoreAsync(repository, Text(600_000));
        var chunk = snapshot.Manifest.Streams[0].Chunks[0].Id;
        var path = Path.Combine(Folder(), RepositoryLayout.ChunkName(chunk));
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[bytes.Length / 2] ^= 1;
        await File.WriteAllBytesAsync(path, bytes, Ct);
        await using var reopened = await OpenAsync("p");
        var error = await Assert.ThrowsAsync<BulwarkException>(() => reopened.ReadChunkAsync(chunk, Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(RepositoryLayout.ChunkName(chunk), error.Message);
    }

    [Fact]
    public async Task SwappedChunk_IsDetectedAndNamed()
    {
        Snapshot snapshot;
        await using (var repository = await InitAsync("p"))
            snapshot = await StoreAsync(repository, Text(2 << 20));
        var chunks = snapshot.Manifest.Streams[0].Chunks.Select(c => c.Id).Distinct().ToList();
        Assert.True(chunks.Count >= 2);
        // Another valid object of the same repository under this chunk's name: it decrypts, but is not this chunk.
        File.Copy(Path.Combine(Folder(), RepositoryLayout.ChunkName(chunks[1])),
            Path.Combine(Folder(), RepositoryLayout.ChunkName(chunks[0])), overwrite: true);
        await using var reopened = await OpenAsync("p");
        var error = await Assert.ThrowsAsync<BulwarkException>(() => reopened.ReadChunkAsync(chunks[0], Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(RepositoryLayout.ChunkName(chunks[0]), error.Message);
        var report = await Bulwark.Repository.Verification.RepositoryVerifier.VerifyAsync(reopened, null, readData: true,
            cancellationToken: Ct);
        Assert.Contains(report.Problems, p => p.Object == RepositoryLayout.ChunkName(chunks[0]));
    }

    [Fact]
    public async Task SwappedManifest_IsDetectedAndNamed()
    {
        Snapshot first, second;
        await using (var repository = await InitAsync("p"))
        {
            first = await StoreAsync(repository, Text(100_000, 1));
            second = await StoreAsync(repository, Text(100_000, 2));
        }
        File.Copy(Path.Combine(Folder(), RepositoryLayout.SnapshotName(second.Id)),
            Path.Combine(Folder(), RepositoryLayout.SnapshotName(first.Id)), overwrite: true);
        await using var reopened = await OpenAsync("p");
        var error = await Assert.ThrowsAsync<BulwarkException>(() => reopened.LoadSnapshotAsync(first.Id, Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(RepositoryLayout.SnapshotName(first.Id), error.Message);
    }

    [Fact]
    public async Task ChunkBoundaries_DependOnASecretOfTheKey()
    {
        await using var a = await InitAsync("p", "a");
        await using var b = await InitAsync("p", "b");
        // The stored seed alone (readable by anyone with the config) does not give the gear table.
        Assert.NotEqual(a.Config.Chunker.Seed, a.Chunker.Parameters.Seed);
        Assert.NotEqual(0UL, a.Config.Chunker.Seed);
        var data = RandomNumberGenerator.GetBytes(4 << 20);
        static List<int> Cuts(FastCdc chunker, byte[] data)
        {
            var cuts = new List<int>();
            for (var offset = 0; offset < data.Length;)
            {
                offset += chunker.NextCut(data.AsSpan(offset));
                cuts.Add(offset);
            }
            return cuts;
        }
        Assert.NotEqual(Cuts(a.Chunker, data), Cuts(b.Chunker, data));
        await using var reopened = await OpenAsync("p", "a");
        Assert.Equal(Cuts(a.Chunker, data), Cuts(reopened.Chunker, data));
    }

    [Fact]
    public async Task Keys_CanBeAddedAndRemoved_ButNeverTheLast()
    {
        await using (var repository = await InitAsync("first"))
        {
            var added = await RepositoryKeys.AddAsync(repository, "second", FastKdf, Ct);
            Assert.Equal(2, (await RepositoryKeys.ListAsync(repository, Ct)).Count);
            Assert.NotEqual(added.Id, RepositoryKeys.CurrentKeyId(repository));
        }
        string firstKey;
        await using (var second = await OpenAsync("second"))
        {
            firstKey = (await RepositoryKeys.ListAsync(second, Ct)).Single(k => k.Id != RepositoryKeys.CurrentKeyId(second)).Id;
            await RepositoryKeys.RemoveAsync(second, firstKey[..8], Ct);
            var last = await Assert.ThrowsAsync<BulwarkException>(() => RepositoryKeys.RemoveAsync(second, RepositoryKeys.CurrentKeyId(second)!, Ct));
            Assert.Equal(ErrorKind.Refused, last.Kind);
        }
        var removed = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("first"));
        Assert.Equal(ErrorKind.WrongPassphrase, removed.Kind);
        await (await OpenAsync("second")).DisposeAsync();
    }

    [Fact]
    public async Task AKeyObject_DoesNotOpenAnotherRepository()
    {
        await (await InitAsync("p", "a")).DisposeAsync();
        await (await InitAsync("other", "b")).DisposeAsync();
        foreach (var key in Directory.GetFiles(Path.Combine(Folder("a"), "keys")))
            File.Copy(key, Path.Combine(Folder("b"), "keys", Path.GetFileName(key)));
        var error = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("p", "b"));
        Assert.Equal(ErrorKind.WrongPassphrase, error.Kind);
    }

    [Fact]
    public async Task ADamagedKeyObject_DoesNotStopAnotherPassphrase_ButAloneIsNamed()
    {
        string firstKey, secondKey;
        await using (var repository = await InitAsync("first"))
        {
            firstKey = RepositoryKeys.CurrentKeyId(repository)!;
            secondKey = (await RepositoryKeys.AddAsync(repository, "second", FastKdf, Ct)).Id;
        }
        await File.WriteAllTextAsync(Path.Combine(Folder(), RepositoryKeys.ObjectName(firstKey)), "{ not json", Ct);
        await using (var opened = await OpenAsync("second"))
            Assert.Equal(secondKey, RepositoryKeys.CurrentKeyId(opened));
        Assert.Equal(ErrorKind.WrongPassphrase, (await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("first"))).Kind);
        await File.WriteAllTextAsync(Path.Combine(Folder(), RepositoryKeys.ObjectName(secondKey)), "{ not json", Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("second"));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(RepositoryKeys.ObjectName(secondKey), error.Message);
    }

    [Fact]
    public async Task AConfigSayingPlain_NextToKeys_IsRefused()
    {
        await (await InitAsync("p")).DisposeAsync();
        var configPath = Path.Combine(Folder(), "config");
        var json = await File.ReadAllTextAsync(configPath, Ct);
        var start = json.IndexOf(",\"encryption\"", StringComparison.Ordinal);
        await File.WriteAllTextAsync(configPath, json[..start] + "}", Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("p"));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains("holds keys", error.Message);
    }

    [Fact]
    public async Task DefaultKeyDerivation_IsArgon2idWithRfcStrength()
    {
        var backend = new LocalBackend(Folder());
        await using var repository = await RepositoryKeys.InitAsync(backend, Options("p"), "p", cancellationToken: Ct);
        var key = Assert.Single(await RepositoryKeys.ListAsync(backend, Ct));
        Assert.Equal("argon2id", key.Kdf.Algorithm);
        Assert.True(key.Kdf.MemoryKiB >= 64 * 1024);
        Assert.True(key.Kdf.Iterations >= 3);
        Assert.Equal(16, Convert.FromBase64String(key.Salt).Length);
    }

    public void Dispose() => _directory.Dispose();
}
