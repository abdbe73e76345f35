using Bulwark.Storage.Azure;
using Bulwark.Storage.Decorators;
using Bulwark.Storage.S3;

namespace Bulwark.Operations.Configuration;

/// <summary>How Bulwark talks to storage: limits and retries for every backend, defaults for object stores.</summary>
public sealed class StorageConfig : IConfigSection
{
    /// <summary>Requests to one repository at once.</summary>
    public int Connections { get; set; } = 16;

    /// <summary>Retries of a transient failure (timeout, throttling, 5xx, dropped connection); 0 turns them off.</summary>
    public int Retries { get; set; } = 5;

    /// <summary>The first retry's delay in milliseconds; each next one doubles it (with jitter), up to 30 s.</summary>
    public int RetryDelayMs { get; set; } = 500;

    public S3Config S3 { get; set; } = new();

    public AzureConfig Azure { get; set; } = new();

    public RetryPolicy RetryPolicy => new() { MaxRetries = Retries, BaseDelay = TimeSpan.FromMilliseconds(RetryDelayMs) };

    public void Validate(LoadedConfig config, string key)
    {
        if (Connections is < 1 or > 256)
            throw config.Error($"{key}.connections", $"{Connections} is out of range", "use 1 to 256");
        if (Retries is < 0 or > 20)
            throw config.Error($"{key}.retries", $"{Retries} is out of range", "use 0 (no retries) to 20");
        if (RetryDelayMs is < 1 or > 60_000)
            throw config.Error($"{key}.retry-delay-ms", $"{RetryDelayMs} is out of range", "use 1 to 60000");
    }
}

/// <summary>Defaults for s3:// repositories; a location's ?endpoint=, ?region=, ?path-style=, ?profile= win.</summary>
public sealed class S3Config : IConfigSection
{
    /// <summary>An S3-compatible endpoint, e.g. http://127.0.0.1:9000; empty for AWS (or AWS_ENDPOINT_URL_S3).</summary>
    public string? Endpoint { get; set; }

    /// <summary>The region; empty: AWS_REGION, the profile's, or us-east-1.</summary>
    public string? Region { get; set; }

    /// <summary>Path-style addressing; empty: on when an endpoint is set.</summary>
    public bool? PathStyle { get; set; }

    /// <summary>An AWS profile whose credentials are used (else AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles).</summary>
    public string? Profile { get; set; }

    /// <summary>Objects above this many MiB are uploaded in parts.</summary>
    public int MultipartThresholdMib { get; set; } = 64;

    /// <summary>The part size of multipart uploads in MiB (at least 5).</summary>
    public int PartSizeMib { get; set; } = 16;

    public S3Options ToOptions() => new()
    {
        Endpoint = string.IsNullOrWhiteSpace(Endpoint) ? null : Endpoint,
        Region = string.IsNullOrWhiteSpace(Region) ? null : Region,
        PathStyle = PathStyle,
        Profile = string.IsNullOrWhiteSpace(Profile) ? null : Profile,
        MultipartThreshold = (long)MultipartThresholdMib << 20,
        PartSize = (long)PartSizeMib << 20,
    };

    public void Validate(LoadedConfig config, string key)
    {
        if (!string.IsNullOrWhiteSpace(Endpoint) && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
            throw config.Error($"{key}.endpoint", $"'{Storage.BackendRegistry.RedactUserInfo(Endpoint)}' is not a URL", "e.g. https://s3.example.com or http://127.0.0.1:9000");
        if (MultipartThresholdMib is < 5 or > 5 * 1024)
            throw config.Error($"{key}.multipart-threshold-mib", $"{MultipartThresholdMib} is out of range", "use 5 to 5120");
        if (PartSizeMib is < 5 or > 5 * 1024)
            throw config.Error($"{key}.part-size-mib", $"{PartSizeMib} is out of range", "use 5 (the S3 minimum) to 5120");
    }
}

/// <summary>
/// Defaults for azure:// repositories. Credentials come only from the environment: AZURE_STORAGE_CONNECTION_STRING,
/// or AZURE_STORAGE_ACCOUNT with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.
/// </summary>
public sealed class AzureConfig : IConfigSection
{
    /// <summary>The storage account (else AZURE_STORAGE_ACCOUNT).</summary>
    public string? Account { get; set; }

    /// <summary>The blob endpoint; empty: https://ACCOUNT.blob.core.windows.net.</summary>
    public string? Endpoint { get; set; }

    public AzureOptions ToOptions() => new()
    {
        Account = string.IsNullOrWhiteSpace(Account) ? null : Account,
        Endpoint = string.IsNullOrWhiteSpace(Endpoint) ? null : Endpoint,
    };

    public void Validate(LoadedConfig config, string key)
    {
        if (!string.IsNullOrWhiteSpace(Endpoint) && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _))
            throw config.Error($"{key}.endpoint", $"'{Storage.BackendRegistry.RedactUserInfo(Endpoint)}' is not a URL", "e.g. https://myaccount.blob.core.windows.net");
    }
}
