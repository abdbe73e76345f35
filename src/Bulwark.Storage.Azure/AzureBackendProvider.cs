using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Bulwark.Storage.Locations;

namespace Bulwark.Storage.Azure;

/// <summary>
/// Opens azure://CONTAINER/PREFIX locations in Azure Blob Storage (or Azurite). Credentials come from the environment,
/// in this order: AZURE_STORAGE_CONNECTION_STRING; AZURE_STORAGE_KEY (the account key); AZURE_STORAGE_SAS_TOKEN.
/// They never appear in a location.
/// </summary>
public sealed class AzureBackendProvider : IBackendProvider
{
    private static readonly string[] AllowedOptions = ["account", "endpoint"];

    private readonly AzureOptions _defaults;
    private readonly Func<string, string?> _environment;

    /// <param name="environment">How environment variables are read (tests substitute it).</param>
    public AzureBackendProvider(AzureOptions? defaults = null, Func<string, string?>? environment = null)
    {
        _defaults = defaults ?? new AzureOptions();
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public IReadOnlyCollection<string> Schemes { get; } = ["azure"];

    public IStorageBackend Open(string location)
    {
        var parsed = LocationQuery.Parse(location, "container", AllowedOptions);
        var display = Redact(location);
        var options = new BlobClientOptions();
        // Retries happen in one place, the retry decorator, which knows transient from permanent failures.
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = _defaults.Timeout;
        options.Diagnostics.IsLoggingEnabled = false;
        options.Diagnostics.IsDistributedTracingEnabled = false;
        options.Diagnostics.IsTelemetryEnabled = false;

        var explicitEndpoint = parsed.Option("endpoint") ?? _defaults.Endpoint;
        var account = parsed.Option("account") ?? _defaults.Account ?? Env("AZURE_STORAGE_ACCOUNT");
        BlobServiceClient service;
        if (Env("AZURE_STORAGE_CONNECTION_STRING") is { } connectionString && explicitEndpoint is null)
        {
            try
            {
                service = new BlobServiceClient(connectionString, options);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
            {
                throw new BulwarkException(ErrorKind.Configuration, "AZURE_STORAGE_CONNECTION_STRING is not a valid connection string",
                    "copy it again from the storage account's 'Access keys' page");
            }
        }
        else
        {
            var endpoint = Endpoint(explicitEndpoint, account, display);
            account ??= AccountOf(endpoint);
            if (Env("AZURE_STORAGE_KEY") is { } key)
            {
                if (account is null)
                    throw new BulwarkException(ErrorKind.Configuration, $"no storage account named for {display}",
                        "set AZURE_STORAGE_ACCOUNT, 'storage.azure.account', or ?account= in the location");
                StorageSharedKeyCredential credential;
                try
                {
                    credential = new StorageSharedKeyCredential(account, key);
                }
                catch (FormatException)
                {
                    throw new BulwarkException(ErrorKind.Configuration, "AZURE_STORAGE_KEY is not a valid account key (base64)",
                        "copy it again from the storage account's 'Access keys' page");
                }
                service = new BlobServiceClient(endpoint, credential, options);
            }
            else if (Env("AZURE_STORAGE_SAS_TOKEN") is { } sas)
            {
                service = new BlobServiceClient(endpoint, new AzureSasCredential(sas.TrimStart('?')), options);
            }
            else
            {
                throw new BulwarkException(ErrorKind.StorageUnavailable, $"no Azure credentials for {display}",
                    "set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN");
            }
        }
        var container = service.GetBlobContainerClient(parsed.Container);
        return new AzureBackend(container, parsed.Prefix, display,
            LocationQuery.Redacted(service.Uri.GetLeftPart(UriPartial.Path).TrimEnd('/')), _defaults.ListPageSize);
    }

    public string Redact(string location) => LocationQuery.Redacted(location);

    private static Uri Endpoint(string? endpoint, string? account, string display)
    {
        if (endpoint is null)
        {
            if (account is null)
                throw new BulwarkException(ErrorKind.Configuration, $"no storage account named for {display}",
                    "set AZURE_STORAGE_ACCOUNT (or AZURE_STORAGE_CONNECTION_STRING), 'storage.azure.account', or ?account= in the location");
            return new Uri($"https://{account}.blob.core.windows.net");
        }
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new BulwarkException(ErrorKind.Configuration, $"the Azure endpoint '{LocationQuery.Redacted(endpoint)}' is not an http(s) URL",
                "set it like https://ACCOUNT.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1");
        return uri;
    }

    /// <summary>The account of "https://ACCOUNT.blob.core.windows.net" or of an emulator URL "http://host:port/ACCOUNT".</summary>
    private static string? AccountOf(Uri endpoint)
    {
        var host = endpoint.Host;
        var dot = host.IndexOf(".blob.", StringComparison.OrdinalIgnoreCase);
        if (dot > 0)
            return host[..dot];
        var path = endpoint.AbsolutePath.Trim('/');
        return path.Length > 0 ? path.Split('/')[0] : null;
    }

    private string? Env(string name) => _environment(name) is { Length: > 0 } value ? value : null;
}
