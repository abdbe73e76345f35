using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Storage.Decorators;

namespace Bulwark.Tests.Repository;

/// <summary>Many streams stored by one set of workers: reading the next overlaps storing the last.</summary>
public sealed class StreamBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Batch_GivesEachStreamItsEntryInOrder_AndEveryStreamReadsBack()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());
        // Empty, small, larger than the largest chunk (64 KiB here), and one repeated: its chunks are stored once.
        var contents = Enumerable.Range(0, 40).Select(i =>
        {
            var data = new byte[i % 4 == 0 ? 0 : i % 4 == 1 ? 100 + i : i % 4 == 2 ? 8_000 + i : 200_000 + i];
            new Random(i).NextBytes(data);
            return data;
        }).ToList();
        contents.Add(contents[3]);

        IReadOnlyList<StreamEntry> entries;
        await using (var batch = uploader.StartBatch(Ct))
        {
            for (var i = 0; i < contents.Count; i++)
                await batch.AddAsync($"file-{i}", "test", new MemoryStream(contents[i]), new Dictionary<string, string> { ["n"] = $"{i}" }, cancellationToken: Ct);
            entries = await batch.CompleteAsync();
        }

        Assert.Equal(contents.Count, entries.Count);
        for (var i = 0; i < contents.Count; i++)
        {
            Assert.Equal($"file-{i}", entries[i].Name);
            Assert.Equal($"{i}", entries[i].Attributes!["n"]);
            Assert.Equal(contents[i].Length, entries[i].Size);
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(contents[i])), entries[i].Sha256);
            var output = new MemoryStream();
            await repository.CopyStreamAsync(entries[i], output, cancellationToken: Ct);
            Assert.Equal(contents[i], output.ToArray());
        }
        Assert.Equal(entries[3].Chunks, entries[^1].Chunks);
        Assert.Equal(entries.SelectMany(e => e.Chunks).Select(c => c.Id).Distinct().Count(), uploader.WrittenChunks.Count);
    }

    [Fact]
    public async Task Batch_ReportsTheStoresFailure_NotACancellation()
    {
        using var dir = new TempDirectory();
        var backend = new FlakyBackend(new LocalBackend(dir.Combine("repo")));
        await using var repository = await BackupRepository.InitAsync(backend, new RepositoryOpenOptions(),
            new Bulwark.Repository.Chunking.ChunkerParameters(4 * 1024, 16 * 1024, 64 * 1024, 0), cancellationToken: Ct);
        backend.Failure = () => new StorageException("disk full", transient: false);
        backend.FailNext(int.MaxValue);
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());

        var error = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            await using var batch = uploader.StartBatch(Ct);
            for (var i = 0; i < 20; i++)
            {
                var data = new byte[50_000];
                new Random(i).NextBytes(data);
                await batch.AddAsync($"file-{i}", "test", new MemoryStream(data), cancellationToken: Ct);
            }
            await batch.CompleteAsync();
        });

        Assert.Contains("disk full", error.Message);
    }

    [Fact]
    public async Task Batch_PassesOnASourcesFailure()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        await using var batch = new StreamUploader(repository, new HashSet<ObjectId>()).StartBatch(Ct);
        await batch.AddAsync("fine", "test", new MemoryStream(new byte[1000]), cancellationToken: Ct);

        var error = await Assert.ThrowsAsync<IOException>(() => batch.AddAsync("broken", "test", new BrokenStream(), cancellationToken: Ct));

        Assert.Equal("source broke", error.Message);
    }

    private sealed class BrokenStream : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new IOException("source broke");
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
