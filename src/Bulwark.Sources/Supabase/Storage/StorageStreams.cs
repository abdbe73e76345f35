using System.Globalization;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// Supabase Storage objects stored as streams of a snapshot: name "storage/&lt;bucket&gt;/&lt;key&gt;", kind
/// "supabase-storage", attributes bucket, key, content type, cache control, size, last-modified and each user
/// metadata entry as "meta:&lt;name&gt;". A bucket name holds no '/', so the name splits back unambiguously.
/// </summary>
public static class StorageStreams
{
    public const string Prefix = "storage/";
    public const string Kind = "supabase-storage";
    public const string BucketAttribute = "bucket";
    public const string KeyAttribute = "key";
    public const string ContentTypeAttribute = "content-type";
    public const string CacheControlAttribute = "cache-control";
    public const string SizeAttribute = "size";
    public const string LastModifiedAttribute = "last-modified";
    public const string MetadataPrefix = "meta:";

    public static string StreamName(string bucket, string key) => $"{Prefix}{bucket}/{key}";

    /// <summary>The storage streams of a snapshot.</summary>
    public static IReadOnlyList<StreamEntry> Of(SnapshotManifest manifest) =>
        manifest.Streams.Where(s => s.Kind == Kind && s.Name.StartsWith(Prefix, StringComparison.Ordinal)).ToList();

    public static string Bucket(StreamEntry entry) =>
        entry.Attributes?.GetValueOrDefault(BucketAttribute) ?? entry.Name[Prefix.Length..].Split('/', 2)[0];

    public static string Key(StreamEntry entry) =>
        entry.Attributes?.GetValueOrDefault(KeyAttribute) ?? entry.Name[Prefix.Length..].Split('/', 2)[1];

    public static string? ContentType(StreamEntry entry) => entry.Attributes?.GetValueOrDefault(ContentTypeAttribute);

    public static string? CacheControl(StreamEntry entry) => entry.Attributes?.GetValueOrDefault(CacheControlAttribute);

    /// <summary>The object's user metadata (x-amz-meta-*), names without the prefix.</summary>
    public static IReadOnlyDictionary<string, string> Metadata(StreamEntry entry) =>
        (entry.Attributes ?? new Dictionary<string, string>())
        .Where(a => a.Key.StartsWith(MetadataPrefix, StringComparison.Ordinal))
        .ToDictionary(a => a.Key[MetadataPrefix.Length..], a => a.Value, StringComparer.Ordinal);

    internal static Dictionary<string, string> Attributes(string bucket, string key, string? contentType, string? cacheControl,
        long size, DateTime? lastModified, IEnumerable<KeyValuePair<string, string>> metadata)
    {
        var attributes = new Dictionary<string, string>
        {
            [BucketAttribute] = bucket,
            [KeyAttribute] = key,
            [SizeAttribute] = size.ToString(CultureInfo.InvariantCulture),
        };
        if (!string.IsNullOrEmpty(contentType))
            attributes[ContentTypeAttribute] = contentType;
        if (!string.IsNullOrEmpty(cacheControl))
            attributes[CacheControlAttribute] = cacheControl;
        if (lastModified is { } time)
            attributes[LastModifiedAttribute] = time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        foreach (var (name, value) in metadata)
            attributes[MetadataPrefix + name] = value;
        return attributes;
    }
}
