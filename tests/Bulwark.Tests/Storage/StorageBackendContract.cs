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
