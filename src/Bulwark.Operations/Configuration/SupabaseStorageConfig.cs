using Bulwark.Sources.Supabase.Storage;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// The project's Storage files, backed up into the same snapshot as the database ('postgres.supabase.storage').
/// The access key comes from SUPABASE_STORAGE_ACCESS_KEY_ID / SUPABASE_STORAGE_SECRET_ACCESS_KEY or from
/// <see cref="KeyFile"/>, never from this file.
/// </summary>
public sealed class SupabaseStorageConfig : IConfigSection
{
    /// <summary>The S3 endpoint, https://&lt;project-ref&gt;.supabase.co/storage/v1/s3; unset: no Storage backup.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The project's region (Project Settings > Storage > S3 connection), e.g. eu-central-1.</summary>
    public string? Region { get; set; }

    /// <summary>Buckets to back up; empty for every bucket.</summary>
    public List<string> Buckets { get; set; } = [];

    /// <summary>Objects downloaded (or, in a restore, uploaded) at once.</summary>
    public int Connections { get; set; } = 4;

    /// <summary>A file, readable by its owner only, with SUPABASE_STORAGE_ACCESS_KEY_ID=… and SUPABASE_STORAGE_SECRET_ACCESS_KEY=… lines.</summary>
    public string? KeyFile { get; set; }

    public bool IsEnabled => !string.IsNullOrWhiteSpace(Endpoint);

    public void Validate(LoadedConfig config, string key)
    {
        if (string.IsNullOrWhiteSpace(Endpoint))
        {
            if (Buckets.Count > 0)
                throw config.Error($"{key}.buckets", "buckets are listed but no endpoint is set", $"set '{key}.endpoint' to the project's https://<project-ref>.supabase.co/storage/v1/s3");
        }
        else
        {
            ValidateEndpoint(Endpoint, e => config.Error($"{key}.endpoint", e.Message, e.Advice));
            if (string.IsNullOrWhiteSpace(Region))
                throw config.Error($"{key}.region", "is required with an endpoint (requests are signed for the project's region)",
                    "copy it from Project Settings > Storage > S3 connection, e.g. eu-central-1");
        }
        foreach (var bucket in Buckets)
        {
            if (string.IsNullOrWhiteSpace(bucket) || bucket.Contains('/', StringComparison.Ordinal))
                throw config.Error($"{key}.buckets", $"'{bucket}' is not a bucket name", "list bucket names, e.g. [avatars, documents]");
        }
        if (Connections is < 1 or > 64)
            throw config.Error($"{key}.connections", $"{Connections} is out of range", "use 1 to 64");
    }

    /// <summary>An http(s) URL without user info (the key never goes into a URL).</summary>
    internal static void ValidateEndpoint(string endpoint, Func<BulwarkException, BulwarkException> error)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw error(new BulwarkException(ErrorKind.Configuration, $"'{Storage.BackendRegistry.RedactUserInfo(endpoint)}' is not an http(s) URL",
                "use https://<project-ref>.supabase.co/storage/v1/s3"));
        if (uri.UserInfo.Length > 0)
            throw error(new BulwarkException(ErrorKind.Configuration, $"'{Storage.BackendRegistry.RedactUserInfo(endpoint)}' holds credentials",
                $"leave them out of the URL; set {SupabaseStorageCredentials.AccessKeyIdVariable} and {SupabaseStorageCredentials.SecretAccessKeyVariable}"));
    }

    /// <summary>
    /// The options of a Storage client for <paramref name="endpoint"/> (this section's by default): the region from
    /// "?region=" in the URL or this section, the key from the environment or the key file.
    /// </summary>
    internal SupabaseStorageOptions ToOptions(LoadedConfig config, string? endpoint = null)
    {
        endpoint ??= Endpoint ?? throw new InvalidOperationException("no Supabase Storage endpoint");
        ValidateEndpoint(endpoint, e => e);
        var uri = new Uri(endpoint);
        var region = System.Web.HttpUtility.ParseQueryString(uri.Query)["region"] ?? Region;
        if (string.IsNullOrWhiteSpace(region))
            throw new BulwarkException(ErrorKind.Usage, $"no region for Supabase Storage at {uri.GetLeftPart(UriPartial.Path)}",
                "add ?region=<the project's region> to the URL, or set 'postgres.supabase.storage.region'");
        var (id, secret) = SupabaseStorageCredentials.Resolve(config.GetEnvironment,
            string.IsNullOrWhiteSpace(KeyFile) ? null : config.ResolvePath(KeyFile));
        Logging.SecretRedactor.Register(secret);
        return new SupabaseStorageOptions
        {
            Endpoint = uri.GetLeftPart(UriPartial.Path),
            Region = region,
            AccessKeyId = id,
            SecretAccessKey = secret,
            Buckets = Buckets,
            Connections = Connections,
        };
    }
}
