using Bulwark.Storage;
using Bulwark.Storage.S3;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Storage.S3;

/// <summary>The storage contract against a real S3-compatible server (s3rver), plus what is particular to S3.</summary>
[Collection(S3ServerFixture.Collection)]
public sealed class S3BackendTests : StorageBackendContract
{
    private readonly S3ServerFixture _s3;

    public S3BackendTests(S3ServerFixture s3)
    {
        _s3 = s3;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override Task<IStorageBackend> CreateBackendAsync() => _s3.OpenAsync(_s3.NewLocation());

    protected override Task<IStorageBackend> CreateBackendWithListPageSizeAsync(int pageSize) =>
        _s3.OpenAsync(_s3.NewLocation(), new S3Options { ListPageSize = pageSize });

    [Fact]
    public async Task LargeObjects_AreUploadedInParts_AndReadBackWhole()
    {
        var options = new S3Options { MultipartThreshold = 6 << 20, PartSize = 5 << 20 };
        await using var backend = await _s3.OpenAsync(_s3.NewLocation(), options);
        var data = new byte[13 << 20];
        new Random(7).NextBytes(data);
        await backend.PutAsync("snapshots/big", data, Ct);
        Assert.Equal(data, await backend.GetAsync("snapshots/big", Ct));
        Assert.Equal(data.Length, (await backend.StatAsync("snapshots/big", Ct))!.Value.Size);
        Assert.Equal(3, ((S3Backend)backend).PartsUploaded);
        await backend.PutAsync("snapshots/small", new byte[6 << 20], Ct);
        Assert.Equal(3, ((S3Backend)backend).PartsUploaded);
    }

    [Fact]
    public async Task MultipartPut_InterruptedAfterTheFirstPart_LeavesTheOldObject()
    {
        var options = new S3Options { MultipartThreshold = 6 << 20, PartSize = 5 << 20 };
        await using var backend = await _s3.OpenAsync(_s3.NewLocation(), options);
        await backend.PutAsync("snapshots/big", "old"u8.ToArray(), Ct);
        var source = new FailingMemory(new byte[13 << 20], goodReads: 1);

        await Assert.ThrowsAnyAsync<Exception>(() => backend.PutAsync("snapshots/big", source.Data, Ct));

        Assert.Equal(1, ((S3Backend)backend).PartsUploaded);
        Assert.Equal("old"u8.ToArray(), await backend.GetAsync("snapshots/big", Ct));
        Assert.Equal(["snapshots/big"], (await ListAsync(backend, "")).Select(o => o.Name).ToArray());
    }

    [Fact]
    public async Task Listing_PagesThroughMoreThanOnePage()
    {
        await using var backend = await CreateBackendAsync();
        await Parallel.ForEachAsync(Enumerable.Range(0, 1100), new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct },
            async (i, ct) => await backend.PutAsync($"chunks/{i % 16:x2}/{i:D5}", new byte[1], ct));
        var names = new HashSet<string>();
        await foreach (var info in backend.ListAsync("chunks/", Ct))
            names.Add(info.Name);
        Assert.Equal(1100, names.Count);
    }

    [Fact]
    public async Task Prefixes_KeepRepositoriesInOneBucketApart()
    {
        await using var a = await CreateBackendAsync();
        await using var b = await CreateBackendAsync();
        await a.PutAsync("config", new byte[1], Ct);
        Assert.Null(await b.StatAsync("config", Ct));
        await foreach (var _ in b.ListAsync("", Ct))
            Assert.Fail("another prefix's object was listed");
    }

    [Fact]
    public async Task MissingBucket_IsAPermanentErrorNamingIt()
    {
        await using var backend = _s3.Provider().Open("s3://no-such-bucket/repo");
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CreateAsync(Ct));
        Assert.False(error.IsTransient);
        Assert.Equal(ErrorKind.StorageUnavailable, error.Kind);
        Assert.Contains("bucket 'no-such-bucket' does not exist", error.Message);
        var read = await Assert.ThrowsAsync<StorageException>(() => backend.GetAsync("config", Ct));
        Assert.IsNotType<ObjectNotFoundException>(read);
    }

    [Fact]
    public async Task WrongCredentials_AreAPermanentErrorWithAdvice()
    {
        var provider = new S3BackendProvider(new S3Options { Endpoint = _s3.Endpoint },
            name => name switch { "AWS_ACCESS_KEY_ID" => "AKIAWRONGKEY", "AWS_SECRET_ACCESS_KEY" => "wrong-secret", _ => null });
        await using var backend = provider.Open(_s3.NewLocation());
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CreateAsync(Ct));
        Assert.False(error.IsTransient);
        Assert.Contains("refused the credentials", error.Message);
        Assert.DoesNotContain("wrong-secret", error.Message);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", error.Advice);
    }

    [Fact]
    public async Task ASourceThatFailsMidPut_IsNotTakenForTheNetwork_AndIsNotRetried()
    {
        await using var backend = await CreateBackendAsync();
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.PutAsync("snapshots/x", new FailingMemory(new byte[100_000], 0).Data, Ct));
        Assert.False(error.IsTransient);
        Assert.DoesNotContain("cannot reach", error.Message);
        Assert.Contains("the data source failed", error.ToString());
    }

    [Fact]
    public async Task UnreachableEndpoint_IsTransient()
    {
        var provider = new S3BackendProvider(new S3Options { Endpoint = $"http://127.0.0.1:{TestServerProcess.FreePort()}" },
            name => _s3.Environment.GetValueOrDefault(name));
        await using var backend = provider.Open("s3://bulwark/x");
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.GetAsync("config", Ct));
        Assert.True(error.IsTransient);
        Assert.Contains("cannot reach", error.Message);
    }

    [Theory]
    [InlineData("s3://bucket/prefix?endpoint=http://user:pw@host:9000", "s3://bucket/prefix?endpoint=http://user:***@host:9000")]
    [InlineData("s3://bucket/p?secret-key=abc&region=eu-west-1", "s3://bucket/p?secret-key=***&region=eu-west-1")]
    public void Redact_StripsSecretsFromLocations(string location, string expected) =>
        Assert.Equal(expected, new S3BackendProvider().Redact(location));

    [Fact]
    public void Locations_WithCredentialsOrUnknownOptions_AreRefused()
    {
        var provider = _s3.Provider();
        var credentials = Assert.Throws<BulwarkException>(() => provider.Open("s3://AKIA:secret@bucket/x"));
        Assert.DoesNotContain("secret", credentials.Message);
        var unknown = Assert.Throws<BulwarkException>(() => provider.Open("s3://bucket/x?regoin=eu"));
        Assert.Contains("regoin", unknown.Message);
        Assert.Equal(ErrorKind.Configuration, unknown.Kind);
    }
}
