using Bulwark.Repository;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage;
using Bulwark.Storage.Decorators;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository;

public sealed class ChunkStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<BackupRepository> NewRepositoryAsync(TempDirectory dir, ChunkerParameters? chunker = null) =>
        await BackupRepository.InitAsync(new LocalBackend(dir.Combine("repo")), new RepositoryOpenOptions(),
            chunker ?? new ChunkerParameters(4 * 1024, 16 * 1024, 64 * 1024, 0), cancellationToken: Ct);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(100_000, 3)]
    [InlineData(3_000_000, 4)]
    public async Task RandomStreams_RoundTripExactly(int length, int seed)
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());
        var entry = await uploader.UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        Assert.Equal(length, entry.Size);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data)), entry.Sha256);

        var output = new MemoryStream();
        await repository.CopyStreamAsync(entry, output, cancellationToken: Ct);
        Assert.Equal(data, output.ToArray());

        await using var stream = repository.OpenStream(entry, Ct);
        var viaStream = new MemoryStream();
        await stream.CopyToAsync(viaStream, Ct);
        Assert.Equal(data, viaStream.ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MissingChunks_AreExactlyTheAbsentOnes_InTheOrderAsked(bool remote)
    {
        using var dir = new TempDirectory();
        var ids = new List<ObjectId>();
        await using (var writer = await NewRepositoryAsync(dir))
        {
            for (var i = 0; i < 600; i++)
            {
                var data = BitConverter.GetBytes(i);
                var id = writer.ContentId(data);
                await writer.WriteChunkAsync(id, writer.Pack(data), Ct);
                ids.Add(id);
            }
        }
        string FileOf(ObjectId id) => dir.Combine("repo", RepositoryLayout.ChunkName(id));
        File.Delete(FileOf(ids[5]));
        File.Delete(FileOf(ids[450]));
        File.Delete(FileOf(ids[599]));
        Directory.CreateDirectory(FileOf(ids[599])); // a folder where a chunk should be is no chunk
        var never = ObjectId.Sha256("never stored"u8);
        ids.Insert(300, never);

        var backend = new Bulwark.Tests.Storage.Decorators.FlakyBackend(new LocalBackend(dir.Combine("repo"))) { Remote = remote };
        await using var repository = await BackupRepository.OpenAsync(backend, new RepositoryOpenOptions(), Ct);
        Assert.Equal(!remote, repository.Capabilities.IsLocal);
        Assert.Equal([ids[5], never, ids[451], ids[600]], await repository.MissingChunksAsync(ids, Ct));
        Assert.Empty(await repository.MissingChunksAsync([], Ct));

        Directory.Delete(dir.Combine("repo", "chunks"), recursive: true);
        Assert.Equal(ids, await repository.MissingChunksAsync(ids, Ct));
    }

    [Fact]
    public async Task NewChunks_AreMadeDurable_BeforeTheManifestThatRefersToThem()
    {
        using var dir = new TempDirectory();
        await (await NewRepositoryAsync(dir)).DisposeAsync();
        var flaky = new Bulwark.Tests.Storage.Decorators.FlakyBackend(new LocalBackend(dir.Combine("repo")));
        // Through the decorators a configured repository has, each of which must pass the unsynced put on.
        var logger = new Bulwark.Tests.Storage.Decorators.DecoratorTests.ListLogger();
        var backend = flaky.WithRetries(new RetryPolicy { MaxRetries = 1, BaseDelay = TimeSpan.FromMilliseconds(1) }, TimeProvider.System)
            .WithConcurrencyLimit(4).WithLogging(logger);
        await using var repository = await BackupRepository.OpenAsync(backend, new RepositoryOpenOptions(), Ct);
        var data = new byte[400_000];
        new Random(11).NextBytes(data);
        var entry = await new StreamUploader(repository, new HashSet<ObjectId>()).UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        var chunks = entry.Chunks.Select(c => RepositoryLayout.ChunkName(c.Id)).ToHashSet();
        var folders = entry.Chunks.Select(c => RepositoryLayout.ChunkFolder(c.Id.FirstByte)).ToHashSet();
        Assert.True(folders.Count > 3, $"{folders.Count} folders");
        Assert.Equal(chunks, flaky.Writes.Where(w => w.StartsWith("unsynced ", StringComparison.Ordinal)).Select(w => w["unsynced ".Length..]).ToHashSet());
        Assert.DoesNotContain(flaky.Writes, w => w.StartsWith("sync ", StringComparison.Ordinal) || w.StartsWith("put chunks/", StringComparison.Ordinal));

        var manifest = new SnapshotManifest
        {
            Time = DateTimeOffset.UnixEpoch, EndTime = DateTimeOffset.UnixEpoch, Host = "h",
            Source = new SourceInfo { Kind = "test" }, Streams = [entry],
        };
        // A sync that fails fails the commit, and the next commit syncs those folders again.
        flaky.Failure = () => new StorageException("disk on fire", transient: false);
        flaky.FailNext(1);
        var failed = await Assert.ThrowsAsync<StorageException>(() => repository.CommitSnapshotAsync(manifest, Ct));
        Assert.Contains("disk on fire", failed.Message, StringComparison.Ordinal);
        Assert.Empty(await repository.ListSnapshotsAsync(Ct));

        await repository.CommitSnapshotAsync(manifest, Ct);
        var writes = flaky.Writes.ToList();
        var sync = writes.FindIndex(w => w.StartsWith("sync ", StringComparison.Ordinal));
        var commit = writes.FindIndex(w => w.StartsWith("put snapshots/", StringComparison.Ordinal));
        Assert.True(sync >= 0 && sync < commit, string.Join('\n', writes));
        Assert.Equal(folders, writes[sync]["sync ".Length..].Split(' ').ToHashSet());
        Assert.Equal(commit, writes.FindLastIndex(w => !w.StartsWith("put snapshots/", StringComparison.Ordinal)) + 1);

        // Nothing new written, nothing to sync.
        var again = await new StreamUploader(repository, chunks.Select(c => ObjectId.Parse(c[^ObjectId.HexLength..])).ToHashSet())
            .UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        await repository.CommitSnapshotAsync(manifest with { Streams = [again], Time = DateTimeOffset.UnixEpoch.AddDays(1) }, Ct);
        Assert.Single(flaky.Writes, w => w.StartsWith("sync ", StringComparison.Ordinal));
        Assert.Equal(2, (await repository.ListSnapshotsAsync(Ct)).Count);
    }

    [Fact]
    public async Task Init_CreatesEveryChunkFolder_OnALocalRepository()
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var folders = Directory.EnumerateDirectories(dir.Combine("repo", "chunks")).Select(Path.GetFileName).Order().ToList();
        Assert.Equal(256, folders.Count);
        Assert.Equal("00", folders[0]);
        Assert.Equal("ff", folders[^1]);
    }

    [Fact]
    public async Task RepeatedContent_IsStoredOnce_AndCompressible()
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var block = new byte[200_000];
        new Random(7).NextBytes(block);
        var data = block.Concat(block).Concat(block).ToArray();
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());
        var entry = await uploader.UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        Assert.True(uploader.Statistics.ReusedBytes > 300_000, $"reused {uploader.Statistics.ReusedBytes}");

        var text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("row of very compressible text\n", 50_000)));
        var textUploader = new StreamUploader(repository, new HashSet<ObjectId>());
        await textUploader.UploadAsync("t", "test", new MemoryStream(text), cancellationToken: Ct);
        Assert.True(textUploader.Statistics.StoredBytes < textUploader.Statistics.NewBytes / 10);
        Assert.NotNull(entry);
    }

    [Fact]
    public async Task KnownChunks_AreNotWrittenAgain_OthersAre()
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var data = new byte[500_000];
        new Random(8).NextBytes(data);
        var first = await new StreamUploader(repository, new HashSet<ObjectId>()).UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        var known = first.Chunks.Select(c => c.Id).ToHashSet();

        var reuse = new StreamUploader(repository, known);
        await reuse.UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        Assert.Equal(0, reuse.Statistics.NewChunks);

        // Chunks that exist but are not referenced by a committed manifest are written again, never trusted.
        var orphanAware = new StreamUploader(repository, new HashSet<ObjectId>());
        await orphanAware.UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        Assert.Equal(first.Chunks.Count, orphanAware.Statistics.NewChunks);
    }

    [Fact]
    public async Task ASourceThatFails_FailsTheUpload()
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());
        var error = await Assert.ThrowsAsync<IOException>(() =>
            uploader.UploadAsync("s", "test", new FailingStream(200_000), cancellationToken: Ct));
        Assert.Equal("source broke", error.Message);
    }

    [Fact]
    public async Task Upload_ShowsObserversEveryByteInOrder_AndTellsThemTheEnd()
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var data = new byte[1_000_000];
        new Random(9).NextBytes(data);
        var observer = new CollectingObserver();
        await new StreamUploader(repository, new HashSet<ObjectId>()).UploadAsync("s", "test", new MemoryStream(data), [observer], cancellationToken: Ct);
        Assert.True(observer.Completed);
        Assert.Equal(data, observer.Bytes.ToArray());
    }

    [Fact]
    public async Task Snapshots_CommitListResolveAndDelete()
    {
        using var dir = new TempDirectory();
        await using var repository = await NewRepositoryAsync(dir);
        var time = DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture);
        Snapshot Commit(int minutes) => repository.CommitSnapshotAsync(new SnapshotManifest
        {
            Time = time.AddMinutes(minutes), EndTime = time.AddMinutes(minutes + 1), Host = "h",
            Source = new SourceInfo { Kind = "test" }, Streams = [],
        }, Ct).GetAwaiter().GetResult();
        var a = Commit(0);
        var b = Commit(10);
        var list = await repository.ListSnapshotsAsync(Ct);
        Assert.Equal([a.Id, b.Id], list.Select(s => s.Id).ToArray());
        Assert.Equal(b.Id, (await repository.ResolveSnapshotAsync("latest", Ct)).Id);
        Assert.Equal(a.Id, (await repository.ResolveSnapshotAsync(a.Id.ToString()[..8], Ct)).Id);
        await repository.DeleteSnapshotAsync(b.Id, Ct);
        Assert.Equal(a.Id, (await repository.ResolveSnapshotAsync("latest", Ct)).Id);
        var missing = await Assert.ThrowsAsync<BulwarkException>(() => repository.ResolveSnapshotAsync(b.Id.ToString()[..8], Ct));
        Assert.Contains("no snapshot", missing.Message);
    }

    private sealed class CollectingObserver : IStreamObserver
    {
        public MemoryStream Bytes { get; } = new();
        public bool Completed { get; private set; }
        public void Observe(ReadOnlySpan<byte> data) => Bytes.Write(data);
        public void Complete() => Completed = true;
    }

    private sealed class FailingStream(int failAfter) : Stream
    {
        private int _read;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_read >= failAfter)
                throw new IOException("source broke");
            var n = Math.Min(count, failAfter - _read);
            Array.Fill(buffer, (byte)(_read % 251), offset, n);
            _read += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
