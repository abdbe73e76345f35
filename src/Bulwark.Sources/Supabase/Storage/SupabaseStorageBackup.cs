using System.Collections.Concurrent;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// Stores every object of a project's Storage buckets (or of the listed ones) as streams of the backup's snapshot,
/// through the backup's uploader: chunked, deduplicated, compressed and encrypted like the dump. Listings are read
/// page by page, objects are downloaded a few at once and stream straight into the uploader (never whole in memory).
/// Any failure fails the backup.
/// </summary>
public sealed class SupabaseStorageBackup
{
    private readonly SupabaseStorageOptions _options;

    public SupabaseStorageBackup(SupabaseStorageOptions options)
    {
        _options = options;
    }

    /// <summary>Lists and stores the objects; returns their manifest entries ordered by name.</summary>
    /// <param name="uploader">Awaited before the first object is stored, so that listing can start while the repository opens.</param>
    public async Task<IReadOnlyList<StreamEntry>> RunAsync(Task<StreamUploader> uploader, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        using var client = new SupabaseStorageClient(_options);
        var buckets = await BucketsAsync(client, cancellationToken).ConfigureAwait(false);
        var entries = new ConcurrentBag<StreamEntry>();
        await Parallel.ForEachAsync(ListAsync(client, buckets, cancellationToken),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Connections), CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var target = await uploader.ConfigureAwait(false);
                entries.Add(await StoreAsync(client, target, item.Bucket, item.Key, progress, ct).ConfigureAwait(false));
            }).ConfigureAwait(false);
        return entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<string>> BucketsAsync(SupabaseStorageClient client, CancellationToken cancellationToken)
    {
        var existing = await client.ListBucketsAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Buckets.Count == 0)
            return existing;
        var missing = _options.Buckets.Where(b => !existing.Contains(b, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
            throw new BulwarkException(ErrorKind.Configuration,
                $"Supabase Storage at {_options.Display} has no bucket {string.Join(", ", missing.Select(b => $"'{b}'"))}",
                existing.Count == 0 ? "create it, or remove it from 'postgres.supabase.storage.buckets'"
                    : $"its buckets are: {string.Join(", ", existing)}; correct 'postgres.supabase.storage.buckets'");
        return _options.Buckets.Distinct(StringComparer.Ordinal).ToList();
    }

    private static async IAsyncEnumerable<(string Bucket, string Key)> ListAsync(SupabaseStorageClient client,
        IReadOnlyList<string> buckets, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var bucket in buckets)
        {
            await foreach (var item in client.ListObjectsAsync(bucket, cancellationToken).ConfigureAwait(false))
                yield return (bucket, item.Key);
        }
    }

    private static async Task<StreamEntry> StoreAsync(SupabaseStorageClient client, StreamUploader uploader, string bucket, string key,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var response = await client.GetAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        var expected = response.ContentLength;
        var attributes = StorageStreams.Attributes(bucket, key, response.Headers.ContentType, response.Headers.CacheControl,
            expected, response.LastModified, SupabaseStorageClient.UserMetadata(response));
        StreamEntry entry;
        try
        {
            entry = await uploader.UploadAsync(StorageStreams.StreamName(bucket, key), StorageStreams.Kind, response.ResponseStream,
                attributes: attributes, progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or Amazon.Runtime.AmazonClientException)
        {
            throw client.Map(e, "download", bucket, key);
        }
        // A connection that ends early looks like a short object: the length the server announced is the check.
        if (expected >= 0 && entry.Size != expected)
            throw new BulwarkException(ErrorKind.Failed,
                $"the download of '{bucket}/{key}' ended after {entry.Size} of {expected} bytes", "run the backup again");
        return entry;
    }
}
