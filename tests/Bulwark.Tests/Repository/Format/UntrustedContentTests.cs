using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Bulwark.Operations.Restore;
using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage.Local;
using Bulwark.Tests.Cli;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository.Format;

/// <summary>
/// Repository content is untrusted input: objects planted by someone who can write to the repository (a zstd header
/// claiming gigabytes, a malformed manifest, an oversized event, a config with impossible chunker sizes) are refused
/// with a one-line error of the right kind, before memory is spent or anything is written.
/// </summary>
public sealed class UntrustedContentTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Repo => _directory.Combine("repo");

    /// <summary>
    /// A zstd frame whose header claims <paramref name="claimed"/> bytes, holding <paramref name="content"/> as one raw
    /// block: magic, a descriptor for a single segment with a 4-byte content size, the size, the block.
    /// </summary>
    private static byte[] ZstdFrame(uint claimed, byte[] content)
    {
        var frame = new List<byte> { 0x28, 0xB5, 0x2F, 0xFD, 0xA0 };
        frame.AddRange(BitConverter.GetBytes(claimed));
        var header = 1 | (content.Length << 3); // last block, raw
        frame.AddRange([(byte)header, (byte)(header >> 8), (byte)(header >> 16)]);
        frame.AddRange(content);
        return [.. frame];
    }

    private static async Task<ObjectId> PlantManifestAsync(BackupRepository repository, SnapshotManifest manifest)
    {
        var json = RepositoryJson.Serialize(manifest);
        var id = repository.ContentId(json);
        await repository.WriteObjectAsync(RepositoryLayout.SnapshotName(id), json, Ct);
        return id;
    }

    private static async Task<StreamEntry> StoreStreamAsync(BackupRepository repository, string name, string kind,
        IReadOnlyList<int> chunks, IReadOnlyDictionary<string, string>? attributes = null)
    {
        var refs = new List<ChunkRef>();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var n in chunks)
        {
            var data = SyntheticRepository.ChunkData(n);
            var id = repository.ContentId(data);
            await repository.WriteChunkAsync(id, repository.Pack(data), Ct);
            hash.AppendData(data);
            refs.Add(new ChunkRef(id, data.Length));
        }
        return new StreamEntry
        {
            Name = name, Kind = kind, Size = refs.Sum(r => (long)r.Length),
            Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()), Chunks = refs, Attributes = attributes,
        };
    }

    private static SnapshotManifest Manifest(params StreamEntry[] streams) => new()
    {
        Time = DateTimeOffset.UtcNow,
        EndTime = DateTimeOffset.UtcNow,
        Host = "planted",
        Source = new SourceInfo { Kind = "postgresql", Database = "app" },
        Streams = streams,
    };

    private static Dictionary<string, string> FileAttributes(string path, string mode = "0644") =>
        new() { ["path"] = path, ["mode"] = mode };

    // ---- chunks ----

    [Fact]
    public async Task Restore_FailsWithIntegrityErrorNamingTheChunk_WhenItsZstdHeaderClaimsAHugeSize()
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        await using var repository = synthetic.Repository;
        var snapshot = await synthetic.AddSnapshotAsync([1, 2, 3], DateTimeOffset.UtcNow);
        var chunk = snapshot.Manifest.Streams[0].Chunks[1];
        // 16 bytes on disk that claim 1 GiB: before, a reader allocated what the header said.
        await File.WriteAllBytesAsync(synthetic.PathOf(RepositoryLayout.ChunkName(chunk.Id)),
            [1, .. ZstdFrame(1u << 30, new byte[16])], Ct);

        var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.ReadChunkAsync(chunk, Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(RepositoryLayout.ChunkName(chunk.Id), error.Message);
        Assert.Contains("claims 1073741824 bytes", error.Message);

        // Without a reference at hand, the chunker's maximum is the bound.
        var byId = await Assert.ThrowsAsync<BulwarkException>(() => repository.ReadChunkAsync(chunk.Id, Ct));
        Assert.Contains("claims 1073741824 bytes", byId.Message);

        var restore = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.CopyStreamAsync(snapshot.Manifest.Streams[0], Stream.Null, cancellationToken: Ct));
        Assert.Equal(ErrorKind.Integrity, restore.Kind);
        Assert.Contains(RepositoryLayout.ChunkName(chunk.Id), restore.Message);
    }

    [Fact]
    public async Task ReadingAChunk_FailsNamingIt_WhenItHoldsMoreThanItsReferenceRecords()
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        await using var repository = synthetic.Repository;
        // A chunk whose content matches its id, but is longer than the manifest says.
        var data = SyntheticRepository.ChunkData(7, size: 300);
        var id = repository.ContentId(data);
        var name = RepositoryLayout.ChunkName(id);
        var reference = new ChunkRef(id, 256);
        var entry = new StreamEntry
        {
            Name = "database.dump", Kind = "pg_dump", Size = 256,
            Sha256 = Convert.ToHexStringLower(SHA256.HashData(data.AsSpan(0, 256))), Chunks = [reference],
        };

        // Compressed: the zstd header tells the truth, and is more than the reference allows.
        await repository.WriteChunkAsync(id, repository.Pack(data), Ct);
        Assert.Equal(1, (await File.ReadAllBytesAsync(synthetic.PathOf(name), Ct))[0]);
        var compressed = await Assert.ThrowsAsync<BulwarkException>(() => repository.CopyStreamAsync(entry, Stream.Null, cancellationToken: Ct));
        Assert.Equal(ErrorKind.Integrity, compressed.Kind);
        Assert.Contains(name, compressed.Message);
        Assert.Contains("claims 300 bytes", compressed.Message);

        // Stored as is: the length itself is more.
        await File.WriteAllBytesAsync(synthetic.PathOf(name), [0, .. data], Ct);
        var raw = await Assert.ThrowsAsync<BulwarkException>(() => repository.CopyStreamAsync(entry, Stream.Null, cancellationToken: Ct));
        Assert.Equal(ErrorKind.Integrity, raw.Kind);
        Assert.Contains(name, raw.Message);
        Assert.Contains("holds 300 bytes", raw.Message);
    }

    // ---- manifests ----

    [Fact]
    public async Task AManifestWhoseHeaderClaimsMoreThanAManifestMayHold_IsRefusedWithItsName()
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        await using var repository = synthetic.Repository;
        var payload = ZstdFrame((1u << 30) + 1, Encoding.UTF8.GetBytes("{}"));
        byte[] packed = [1, .. payload];
        var id = repository.ContentId(packed);
        await using (var store = new LocalBackend(synthetic.Root))
            await store.PutAsync(RepositoryLayout.SnapshotName(id), packed, Ct);

        var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.LoadSnapshotAsync(id, Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(RepositoryLayout.SnapshotName(id), error.Message);
        Assert.Contains("claims 1073741825 bytes, more than the 1 GiB", error.Message);
    }

    public static TheoryData<string> MalformedManifests =>
    [
        "invalid file mode", "NUL in a file path", "duplicate stream names", "duplicate file paths",
        "negative length", "chunks not adding up", "chunk longer than the chunker's maximum", "malformed SHA-256",
    ];

    private async Task<(ObjectId Snapshot, string Expected)> PlantMalformedAsync(BackupRepository repository, string kind)
    {
        var dump = await StoreStreamAsync(repository, "database.dump", "pg_dump", [1, 2]);
        var config = await StoreStreamAsync(repository, "files/app.yml", "file", [3], FileAttributes("app.yml"));
        var other = await StoreStreamAsync(repository, "files/other.yml", "file", [4], FileAttributes("other.yml"));
        var (manifest, expected) = kind switch
        {
            "invalid file mode" => (Manifest(dump, config with { Attributes = FileAttributes("app.yml", "12345") }), "file mode '12345'"),
            "NUL in a file path" => (Manifest(dump, config with { Attributes = FileAttributes("app\0.yml") }), "file path 'app\\u0000.yml'"),
            "duplicate stream names" => (Manifest(dump, config, dump with { Kind = "other" }), "stream 'database.dump' appears twice"),
            "duplicate file paths" => (Manifest(dump, config, other with { Attributes = FileAttributes("app.yml") }),
                "stores the file 'app.yml', which another stream stores too"),
            "negative length" => (Manifest(dump with { Size = -1 }, config), "has the length -1"),
            "chunks not adding up" => (Manifest(dump with { Size = dump.Size + 1 }, config), "its chunks add up to 512 bytes, not to its length 513"),
            "chunk longer than the chunker's maximum" => (Manifest(dump with
            {
                Size = dump.Size - 256 + (2 << 20), Chunks = [dump.Chunks[0], dump.Chunks[1] with { Length = 2 << 20 }],
            }, config), "chunk 2 has the length 2097152"),
            "malformed SHA-256" => (Manifest(dump, config with { Sha256 = "abc" }), "SHA-256 'abc'"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        return (await PlantManifestAsync(repository, manifest), expected);
    }

    [Theory]
    [MemberData(nameof(MalformedManifests))]
    public async Task AMalformedManifest_IsAnIntegrityErrorNamingIt_AndARestoreWritesNothing(string kind)
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        ObjectId id;
        string expected;
        await using (var repository = synthetic.Repository)
        {
            (id, expected) = await PlantMalformedAsync(repository, kind);
            var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.LoadSnapshotAsync(id, Ct));
            Assert.Equal(ErrorKind.Integrity, error.Kind);
            Assert.Contains($"manifest {RepositoryLayout.SnapshotName(id)} is invalid", error.Message);
            Assert.Contains(expected, error.Message);
            Assert.DoesNotContain('\n', error.Message);
        }

        var context = TestConfig.Context(_directory, null);
        var output = _directory.Combine("out");
        Directory.CreateDirectory(output);
        var toFile = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = id.ToString(), ToFile = Path.Combine(output, "dump") }, null, Ct));
        Assert.Equal(ErrorKind.Integrity, toFile.Kind);
        var files = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = id.ToString(), FilesTo = output }, null, Ct));
        Assert.Equal(ErrorKind.Integrity, files.Kind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(output));
    }

    [Fact]
    public async Task AMalformedManifest_GivesExitCode10AndOneLine_FromTheCli()
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        ObjectId id;
        await using (var repository = synthetic.Repository)
            (id, _) = await PlantMalformedAsync(repository, "invalid file mode");
        var output = _directory.Combine("out");
        var result = await new CliRunner(_directory.Path).RunAsync("restore", id.ToString()[..12], "--repo", Repo, "--files-to", output);
        EncryptedRepositoryCliTests.AssertOneLineError(result, 10, $"manifest {RepositoryLayout.SnapshotName(id)} is invalid");
        Assert.False(Directory.Exists(output) && Directory.EnumerateFileSystemEntries(output).Any());
    }

    [Fact]
    public async Task CommittingAManifestThatReadersWouldRefuse_WritesNothing()
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        await using var repository = synthetic.Repository;
        var dump = await StoreStreamAsync(repository, "database.dump", "pg_dump", [1, 2]);
        var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.CommitSnapshotAsync(Manifest(dump, dump), Ct));
        Assert.Contains("appears twice", error.Message);
        Assert.Empty(await repository.ListSnapshotIdsAsync(Ct));
    }

    // ---- small objects ----

    [Fact]
    public async Task AnEventLargerThanAnEventMayBe_IsRefusedWithItsName()
    {
        var synthetic = await SyntheticRepository.CreateAsync(Repo);
        await using var repository = synthetic.Repository;
        var json = RepositoryJson.Serialize(new { text = new string('x', 2 << 20) }, TestJson.Reflection);
        var id = repository.ContentId(json);
        var name = $"{RepositoryLayout.EventsFolder}notes/000000000000001-{id}";
        await repository.WriteObjectAsync(name, json, Ct);

        var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.ReadEventsAsync<JsonElement>("notes", Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(name, error.Message);
        Assert.Contains("more than the 1 MiB", error.Message);
        // And the writer keeps to the same limit.
        var write = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.AppendEventAsync("notes", new { text = new string('x', 2 << 20) }, Ct, json: TestJson.Reflection));
        Assert.Contains("more than the 1 MiB", write.Message);
    }

    public static TheoryData<string> BadConfigs => ["impossible chunker sizes", "repository id that is a path", "oversized config"];

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public async Task ABadRepositoryConfig_IsARepositoryErrorNamingIt(string kind)
    {
        await (await SyntheticRepository.CreateAsync(Repo)).Repository.DisposeAsync();
        var path = Path.Combine(Repo, "config");
        var config = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(await File.ReadAllTextAsync(path, Ct))!;
        switch (kind)
        {
            case "impossible chunker sizes":
                config["chunker"] = JsonSerializer.SerializeToElement(new { minSize = 4096, averageSize = 1024, maxSize = 65536, seed = 0 });
                break;
            case "repository id that is a path":
                config["id"] = JsonSerializer.SerializeToElement("../../../tmp/elsewhere");
                break;
            default:
                config["padding"] = JsonSerializer.SerializeToElement(new string(' ', 2 << 20));
                break;
        }
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(config), Ct);

        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            BackupRepository.OpenAsync(new LocalBackend(Repo), new RepositoryOpenOptions(), Ct));
        Assert.Equal(ErrorKind.Repository, error.Kind);
        Assert.Contains("the config object of", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    public void Dispose() => _directory.Dispose();
}
