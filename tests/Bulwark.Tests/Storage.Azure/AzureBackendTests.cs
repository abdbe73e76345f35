using Bulwark.Storage;
using Bulwark.Storage.Azure;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Storage.Azure;

/// <summary>The storage contract against a real Azure Blob server (Azurite), plus what is particular to Azure.</summary>
[Collection(AzuriteFixture.Collection)]
public sealed class AzureBackendTests : StorageBackendContract
{
    private readonly AzuriteFixture _azure;

    public AzureBackendTests(AzuriteFixture azure)
    {
        _azure = azure;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected override Task<IStorageBackend> CreateBackendAsync() => _azure.OpenAsync(_azure.NewLocation());

    protected override Task<IStorageBackend> CreateBackendWithListPageSizeAsync(int pageSize) =>
        _azure.OpenAsync(_azure.NewLocation(), new AzureOptions { ListPageSize = pageSize });

    [Fact]
    public async Task AccountKeyAndEndpoint_WorkWithoutAConnectionString()
    {
        var provider = _azure.Provider(new Dictionary<string, string?>
        {
            ["AZURE_STORAGE_KEY"] = AzuriteFixture.AccountKey,
        });
        await using var backend = provider.Open(_azure.NewLocation() + "?endpoint=" + _azure.Endpoint);
        await backend.CreateAsync(Ct);
        await backend.PutAsync("config", "x"u8.ToArray(), Ct);
        Assert.Equal("x"u8.ToArray(), await backend.GetAsync("config", Ct));
    }

    [Fact]
    public async Task LargeObjects_RoundTrip()
    {
        await using var backend = await CreateBackendAsync();
        var data = new byte[9 << 20];
        new Random(3).NextBytes(data);
        await backend.PutAsync("snapshots/big", data, Ct);
        Assert.Equal(data, await backend.GetAsync("snapshots/big", Ct));
    }

    [Fact]
    public async Task MissingContainer_IsAPermanentErrorNamingIt()
    {
        await using var backend = _azure.Provider().Open("azure://no-such-container/repo");
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CreateAsync(Ct));
        Assert.False(error.IsTransient);
        Assert.Contains("container 'no-such-container' does not exist", error.Message);
        var read = await Assert.ThrowsAsync<StorageException>(() => backend.GetAsync("config", Ct));
        Assert.IsNotType<ObjectNotFoundException>(read);
    }

    [Fact]
    public async Task WrongKey_IsAPermanentErrorWithAdvice()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var provider = _azure.Provider(new Dictionary<string, string?> { ["AZURE_STORAGE_KEY"] = wrongKey });
        await using var backend = provider.Open(_azure.NewLocation() + "?endpoint=" + _azure.Endpoint);
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.CreateAsync(Ct));
        Assert.False(error.IsTransient);
        Assert.Contains("refused the credentials", error.Message);
        Assert.Contains("AZURE_STORAGE_KEY", error.Advice);
        Assert.DoesNotContain(wrongKey, error.Message);
    }

    [Fact]
    public async Task UnreachableEndpoint_IsTransient()
    {
        var provider = _azure.Provider(new Dictionary<string, string?> { ["AZURE_STORAGE_KEY"] = AzuriteFixture.AccountKey });
        await using var backend = provider.Open($"azure://bulwark/x?endpoint=http://127.0.0.1:{TestServerProcess.FreePort()}/{AzuriteFixture.Account}");
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.GetAsync("config", Ct));
        Assert.True(error.IsTransient);
        Assert.Contains("cannot reach", error.Message);
    }

    [Fact]
    public void NoCredentials_IsAClearError()
    {
        var provider = _azure.Provider(new Dictionary<string, string?>());
        var error = Assert.Throws<BulwarkException>(() => provider.Open("azure://bulwark/x?account=someaccount"));
        Assert.Contains("no Azure credentials", error.Message);
        Assert.Contains("AZURE_STORAGE_KEY", error.Advice);
    }
}
