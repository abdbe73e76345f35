using Azure.Storage.Blobs;
using Bulwark.Storage;
using Bulwark.Storage.Azure;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// A real Azure Blob server (Azurite from tools/node, in memory) on a free port of 127.0.0.1 for the tests of one
/// collection, with a container <see cref="Container"/>. Azurite checks shared-key signatures of its dev account.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string Collection = "azurite";
    public const string Account = "devstoreaccount1";
    /// <summary>Azurite's published development key (not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    public const string Container = "bulwark";

    private readonly TempDirectory _directory = new("bulwark-azurite");
    private TestServerProcess? _server;

    public string Endpoint => $"http://127.0.0.1:{_server!.Port}/{Account}";

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={AccountKey};BlobEndpoint={Endpoint};";

    /// <summary>The environment an Azure client of these tests sees.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["AZURE_STORAGE_CONNECTION_STRING"] = ConnectionString,
    };

    public async ValueTask InitializeAsync()
    {
        var port = TestServerProcess.FreePort();
        _server = await TestServerProcess.StartAsync("azurite-blob",
            ["--blobHost", "127.0.0.1", "--blobPort", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--inMemoryPersistence", "--silent", "--skipApiVersionCheck",
             "--disableTelemetry", "--loose"],
            port, _directory.Path);
        await new BlobServiceClient(ConnectionString).GetBlobContainerClient(Container).CreateIfNotExistsAsync();
    }

    public AzureBackendProvider Provider(IReadOnlyDictionary<string, string?>? environment = null, AzureOptions? options = null) =>
        new(options ?? new AzureOptions(), name => (environment ?? Environment).GetValueOrDefault(name));

    /// <summary>A fresh, empty repository location (its own prefix in the container).</summary>
    public string NewLocation(string what = "t") => $"azure://{Container}/{what}-{Guid.NewGuid():N}";

    public async Task<IStorageBackend> OpenAsync(string location, AzureOptions? options = null)
    {
        var backend = Provider(options: options).Open(location);
        await backend.CreateAsync(CancellationToken.None);
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        _directory.Dispose();
    }
}

[CollectionDefinition(AzuriteFixture.Collection)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>;
