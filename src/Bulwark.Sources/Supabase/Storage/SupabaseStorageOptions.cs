namespace Bulwark.Sources.Supabase.Storage;

/// <summary>Where a project's Storage answers over S3, and with which key. The secret is never logged or stored.</summary>
public sealed record SupabaseStorageOptions
{
    /// <summary>The S3 endpoint, https://&lt;project-ref&gt;.supabase.co/storage/v1/s3.</summary>
    public required string Endpoint { get; init; }
    /// <summary>The project's region (what requests are signed for).</summary>
    public required string Region { get; init; }
    public required string AccessKeyId { get; init; }
    public required string SecretAccessKey { get; init; }
    /// <summary>Buckets to back up; empty for every bucket.</summary>
    public IReadOnlyList<string> Buckets { get; init; } = [];
    /// <summary>Objects downloaded or uploaded at once.</summary>
    public int Connections { get; init; } = 4;
    /// <summary>Objects per listing page (S3's maximum is 1000).</summary>
    public int PageSize { get; init; } = 1000;

    /// <summary>The endpoint as shown in messages: without user info or query.</summary>
    public string Display => Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri)
        ? uri.GetLeftPart(UriPartial.Path)
        : Endpoint;
}
