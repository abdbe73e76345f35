using System.Buffers;
using Bulwark.Storage;

namespace Bulwark.Tests.Storage;

/// <summary>
/// The storage contract of <see cref="IStorageBackend"/>, written once and run against every backend: a backend's
/// test class derives from this and says how to open a fresh, empty backend.
/// </summary>
public abstract class StorageBackendContract
{
    /// <summary>A new, empty backend (a fresh folder, bucket prefix or container).</summary>
    protected abstract Task<IStorageBackend> CreateBackendAsync();

    /// <summary>A new, empty backend that lists in pages of <paramref name="pageSize"/> objects, where the store pages.</summary>
    protected virtual Task<IStorageBackend> CreateBackendWithListPageSizeAsync(int pageSize) => CreateBackendAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PutThenGet_ReturnsTheSameBytes()
    {
        await using var backend = await CreateBackendAsync();
        var data = new byte[100_000];
        new Random(1).NextBytes(data);
        await backend.PutAsync("chunks/ab/object", data, Ct);
        Assert.Equal(data, await backend.GetAsync("chunks/ab/object", Ct));
    }

    [Fact]
    public async Task GetIntoABuffer_ReadsIntoItWhenTheObjectFits_AndIntoAnArrayOfItsOwnWhenNot()
    {
        await using var backend = await CreateBackendAsync();
        var data = new byte[100_000];
        new Random(2).NextBytes(data);
        await backend.PutAsync("chunks/ab/object", data, Ct);
        var buffer = new byte[150_000];
        Array.Fill(buffer, (byte)0xEE);

        var fits = await backend.GetAsync("chunks/ab/object", buffer, Ct);
        Assert.Same(buffer, fits.Array);
        Assert.Equal(data, fits.ToArray());

        var tooLarge = await backend.GetAsync("chunks/ab/object", new byte[50_000], Ct);
        Assert.Equal(data, tooLarge.ToArray());
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => backend.GetAsync("chunks/ab/missing", buffer, Ct));
    }

    [Fact]
    public async Task UnsyncedPuts_AreWholeObjects_AndTheirFoldersSync()
    {
        await using var backend = await CreateBackendAsync();
        var data = new byte[70_000];
        new Random(3).NextBytes(data);
        await backend.PutUnsyncedAsync("chunks/ab/one", data, Ct);
        await backend.PutUnsyncedAsync("chunks/cd/two", "two"u8.ToArray(), Ct);
        await backend.PutUnsyncedAsync("chunks/ab/one", "again"u8.ToArray(), Ct);
        await backend.SyncFoldersAsync(["chunks/ab/", "chunks/cd/"], Ct);
        Assert.Equal("again"u8.ToArray(), await backend.GetAsync("chunks/ab/one", Ct));
        Assert.Equal("two"u8.ToArray(), await backend.GetAsync("chunks/cd/two", Ct));
        var names = new List<string>();
        await foreach (var info in backend.ListAsync("chunks/", Ct))
            names.Add(info.Name);
        Assert.Equal(["chunks/ab/one", "chunks/cd/two"], names.Order());
        await backend.SyncFoldersAsync([], Ct);
    }

    [Fact]
    public async Task EmptyObjects_AreStored()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("events/x/empty", Array.Empty<byte>(), Ct);
        Assert.Empty(await backend.GetAsync("events/x/empty", Ct));
        Assert.Equal(0, (await backend.StatAsync("events/x/empty", Ct))!.Value.Size);
    }

    [Fact]
    public async Task Put_ReplacesAnExistingObject()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("locks/a", "first"u8.ToArray(), Ct);
        await backend.PutAsync("locks/a", "second"u8.ToArray(), Ct);
        Assert.Equal("second"u8.ToArray(), await backend.GetAsync("locks/a", Ct));
    }

    [Fact]
    public async Task Get_OfAMissingObject_IsNotFound()
    {
        await using var backend = await CreateBackendAsync();
        var error = await Assert.ThrowsAsync<ObjectNotFoundException>(() => backend.GetAsync("snapshots/missing", Ct));
        Assert.False(error.IsTransient);
        Assert.Equal("snapshots/missing", error.Name);
    }

    [Fact]
    public async Task Stat_ReportsSizeAndNullWhenMissing()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("config", new byte[42], Ct);
        var info = await backend.StatAsync("config", Ct);
        Assert.NotNull(info);
        Assert.Equal(42, info.Value.Size);
        Assert.True(info.Value.LastModified > DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Null(await backend.StatAsync("nothing", Ct));
    }

    [Fact]
    public async Task List_ReturnsObjectsUnderAPrefix_AndNothingElse()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("chunks/aa/1", new byte[1], Ct);
        await backend.PutAsync("chunks/bb/2", new byte[2], Ct);
        await backend.PutAsync("snapshots/3", new byte[3], Ct);
        var chunks = new List<StorageObjectInfo>();
        await foreach (var info in backend.ListAsync("chunks/", Ct))
            chunks.Add(info);
        Assert.Equal(["chunks/aa/1", "chunks/bb/2"], chunks.Select(c => c.Name).Order().ToArray());
        Assert.Equal([1L, 2L], chunks.OrderBy(c => c.Name).Select(c => c.Size).ToArray());
        var none = new List<StorageObjectInfo>();
        await foreach (var info in backend.ListAsync("keys/", Ct))
            none.Add(info);
        Assert.Empty(none);
    }

    [Fact]
    public async Task Delete_RemovesAndIsIdempotent()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("snapshots/x", new byte[1], Ct);
        await backend.DeleteAsync("snapshots/x", Ct);
        Assert.Null(await backend.StatAsync("snapshots/x", Ct));
        await backend.DeleteAsync("snapshots/x", Ct);
        await backend.DeleteAsync("never/existed", Ct);
    }

    [Fact]
    public async Task ConcurrentPuts_OfManyObjects_AllLand()
    {
        await using var backend = await CreateBackendAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, 64), Ct, async (i, ct) =>
            await backend.PutAsync($"chunks/{i % 4}/{i}", BitConverter.GetBytes(i), ct));
        var count = 0;
        await foreach (var _ in backend.ListAsync("chunks/", Ct))
            count++;
        Assert.Equal(64, count);
    }

    [Fact]
    public async Task Put_OfAnExistingName_RenewsItsModificationTime()
    {
        // Garbage collection keeps a chunk that a backup rewrote during a sweep by its new time; the same bytes again
        // must count as a write.
        await using var backend = await CreateBackendAsync();
        var data = "same content"u8.ToArray();
        await backend.PutAsync("chunks/aa/rewritten", data, Ct);
        var first = (await backend.StatAsync("chunks/aa/rewritten", Ct))!.Value.LastModified;
        var later = await StoreTimeAfterAsync(backend, first);

        await backend.PutAsync("chunks/aa/rewritten", data, Ct);

        Assert.True((await backend.StatAsync("chunks/aa/rewritten", Ct))!.Value.LastModified >= later);
        var listed = await ListAsync(backend, "chunks/");
        Assert.True(Assert.Single(listed).LastModified >= later);
    }

    [Fact]
    public async Task CancelledCalls_Throw_AndACancelledPutLeavesThePreviousState()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("snapshots/kept", "old"u8.ToArray(), Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.PutAsync("snapshots/new", new byte[1000], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.PutAsync("snapshots/kept", "new"u8.ToArray(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => backend.GetAsync("snapshots/kept", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in backend.ListAsync("snapshots/", cancelled.Token))
            {
            }
        });

        Assert.Equal("old"u8.ToArray(), await backend.GetAsync("snapshots/kept", Ct));
        Assert.Equal(["snapshots/kept"], (await ListAsync(backend, "")).Select(o => o.Name).ToArray());
    }

    [Fact]
    public async Task Put_CancelledWhileUnderway_LeavesTheOldObjectOrTheWholeNewOne()
    {
        await using var backend = await CreateBackendAsync();
        var old = new byte[1000];
        var big = new byte[8 << 20];
        new Random(5).NextBytes(big);
        await backend.PutAsync("snapshots/x", old, Ct);
        using var cancellation = new CancellationTokenSource();

        var put = backend.PutAsync("snapshots/x", big, cancellation.Token);
        await cancellation.CancelAsync();
        try
        {
            await put;
        }
        catch (OperationCanceledException)
        {
        }

        var now = await backend.GetAsync("snapshots/x", Ct);
        Assert.True(now.AsSpan().SequenceEqual(old) || now.AsSpan().SequenceEqual(big), $"a put cut short left {now.Length} bytes");
        Assert.Equal(["snapshots/x"], (await ListAsync(backend, "")).Select(o => o.Name).ToArray());
    }

    [Fact]
    public async Task Put_WhoseDataFailsToRead_LeavesTheOldObject_AndNoPartOfTheNew()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("snapshots/x", "old"u8.ToArray(), Ct);

        await Assert.ThrowsAnyAsync<Exception>(() => backend.PutAsync("snapshots/x", new FailingMemory(new byte[100_000], 0).Data, Ct));
        await Assert.ThrowsAnyAsync<Exception>(() => backend.PutAsync("snapshots/y", new FailingMemory(new byte[100_000], 0).Data, Ct));

        Assert.Equal("old"u8.ToArray(), await backend.GetAsync("snapshots/x", Ct));
        Assert.Null(await backend.StatAsync("snapshots/y", Ct));
        Assert.Equal(["snapshots/x"], (await ListAsync(backend, "")).Select(o => o.Name).ToArray());
    }

    [Fact]
    public async Task List_OfMoreObjectsThanAPage_ReturnsEachOnce()
    {
        await using var backend = await CreateBackendWithListPageSizeAsync(7);
        var names = Enumerable.Range(0, 45).Select(i => $"chunks/{i % 3:x2}/{i:D3}").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct },
            async (name, ct) => await backend.PutAsync(name, new byte[1], ct));
        await backend.PutAsync("snapshots/other", new byte[1], Ct);

        var listed = (await ListAsync(backend, "chunks/")).Select(o => o.Name).ToList();

        Assert.Equal(names.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        Assert.Equal(46, (await ListAsync(backend, "")).Count);
    }

    protected static async Task<List<StorageObjectInfo>> ListAsync(IStorageBackend backend, string prefix)
    {
        var found = new List<StorageObjectInfo>();
        await foreach (var info in backend.ListAsync(prefix, Ct))
            found.Add(info);
        return found;
    }

    /// <summary>
    /// A time of the store's own clock later than <paramref name="after"/>: stores keep modification times in whole
    /// seconds or less, so this writes a marker until the store stamps it later (the clock is the server's, not ours).
    /// </summary>
    private static async Task<DateTimeOffset> StoreTimeAfterAsync(IStorageBackend backend, DateTimeOffset after)
    {
        for (var attempt = 0; attempt < 300; attempt++)
        {
            await backend.PutAsync("locks/clock", Array.Empty<byte>(), Ct);
            var stamped = (await backend.StatAsync("locks/clock", Ct))!.Value.LastModified;
            await backend.DeleteAsync("locks/clock", Ct);
            if (stamped > after)
                return stamped;
            await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
        }
        throw new InvalidOperationException("the store's clock did not move past " + after.ToString("O"));
    }

    /// <summary>Data whose reading fails after <paramref name="goodReads"/> reads, as a source that breaks midway would.</summary>
    protected sealed class FailingMemory(byte[] data, int goodReads) : MemoryManager<byte>
    {
        private int _reads;

        /// <summary>The data as the backend gets it (<see cref="MemoryManager{T}.Memory"/> would read it once).</summary>
        public ReadOnlyMemory<byte> Data => CreateMemory(data.Length);

        public int Reads => _reads;

        public override Span<byte> GetSpan() =>
            Interlocked.Increment(ref _reads) > goodReads ? throw new IOException("the data source failed") : data;

        public override MemoryHandle Pin(int elementIndex = 0) => throw new IOException("the data source failed");

        public override void Unpin()
        {
        }

        protected override void Dispose(bool disposing)
        {
        }
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/absolute")]
    [InlineData("a//b")]
    [InlineData("trailing/")]
    [InlineData("sp ace")]
    public async Task InvalidNames_AreRejected(string name)
    {
        await using var backend = await CreateBackendAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => backend.PutAsync(name, new byte[1], Ct));
    }
}
