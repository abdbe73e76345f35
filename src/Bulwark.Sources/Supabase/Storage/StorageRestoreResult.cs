namespace Bulwark.Sources.Supabase.Storage;

/// <summary>What a restore of Storage objects did.</summary>
public sealed record StorageRestoreResult
{
    /// <summary>The endpoint written to (without user info or query).</summary>
    public required string Endpoint { get; init; }
    /// <summary>Objects uploaded (new or replaced).</summary>
    public required int Uploaded { get; init; }
    public required long UploadedBytes { get; init; }
    /// <summary>Of <see cref="Uploaded"/>: objects that existed with other content and were replaced (--overwrite).</summary>
    public required int Replaced { get; init; }
    /// <summary>Objects left as they were because the target already held the same bytes.</summary>
    public required int Unchanged { get; init; }
    public required IReadOnlyList<string> BucketsCreated { get; init; }
}
