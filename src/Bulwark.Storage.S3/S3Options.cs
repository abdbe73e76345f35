namespace Bulwark.Storage.S3;

/// <summary>
/// Defaults for every s3:// location (from the 'storage.s3' configuration section); options in a location's query
/// ("?endpoint=…&amp;region=…&amp;path-style=true&amp;profile=…") win over them.
/// </summary>
public sealed record S3Options
{
    /// <summary>An S3-compatible endpoint (MinIO, Ceph, s3rver, …); null: AWS (or AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).</summary>
    public string? Endpoint { get; init; }

    /// <summary>The region; null: AWS_REGION, AWS_DEFAULT_REGION or the profile's, else us-east-1.</summary>
    public string? Region { get; init; }

    /// <summary>Path-style addressing (endpoint/bucket/key); null: on when an endpoint is set, off for AWS.</summary>
    public bool? PathStyle { get; init; }

    /// <summary>The AWS profile (in ~/.aws/credentials or ~/.aws/config) whose credentials are used.</summary>
    public string? Profile { get; init; }

    /// <summary>Objects larger than this are uploaded in parts.</summary>
    public long MultipartThreshold { get; init; } = 64L << 20;

    /// <summary>The size of each part of a multipart upload (S3 needs at least 5 MiB).</summary>
    public long PartSize { get; init; } = 16L << 20;

    /// <summary>How many objects one list request asks for (S3 serves at most 1000).</summary>
    public int ListPageSize { get; init; } = 1000;

    /// <summary>How long one request may take before it counts as a (transient) timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}
