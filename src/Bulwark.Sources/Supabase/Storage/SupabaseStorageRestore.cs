using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// Uploads a snapshot's Storage objects into a project's Storage with their content type, cache control and user
/// metadata; missing buckets are created. Everything is checked before anything is written: an object that exists
/// with the same bytes is left alone, one with other bytes is refused (nothing uploaded) unless overwriting is asked
/// for. Each object is spooled to a temporary file and checked against its SHA-256 in the snapshot before it is sent.
/// </summary>
public sealed class SupabaseStorageRestore
{
    /// <summary>The largest object one S3 PutObject takes.</summary>
    public const long MaxObjectSize = 5L << 30;

    private readonly SupabaseStorageOptions _options;
    private readonly string _spoolDirectory;

    public SupabaseStorageRestore(SupabaseStorageOptions options, string spoolDirectory)
    {
        _options = options;
        _spoolDirectory = spoolDirectory;
    }

    public async Task<StorageRestoreResult> RunAsync(BackupRepository repository, IReadOnlyList<StreamEntry> objects, bool overwrite,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        if (objects.FirstOrDefault(o => o.Size > MaxObjectSize) is { } large)
            throw new BulwarkException(ErrorKind.Refused,
                $"'{StorageStreams.Bucket(large)}/{StorageStreams.Key(large)}' is {large.Size} bytes, more than one upload takes (5 GiB); nothing was uploaded",
                $"write it with 'bulwark restore --to-file PATH --stream \"{large.Name}\"' and upload it with the Supabase CLI or dashboard");
        using var client = new SupabaseStorageClient(_options);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Connections), CancellationToken = cancellationToken };

        // What the target holds already: one listing per bucket that exists.
        var existingBuckets = (await client.ListBucketsAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var present = new Dictionary<(string Bucket, string Key), long>();
        foreach (var bucket in objects.Select(StorageStreams.Bucket).Distinct(StringComparer.Ordinal).Where(existingBuckets.Contains))
        {
            await foreach (var item in client.ListObjectsAsync(bucket, cancellationToken).ConfigureAwait(false))
                present[(bucket, item.Key)] = item.Size ?? -1;
        }

        // Same size: same bytes only if the content hashes alike (a size alone proves nothing).
        var unchanged = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var conflicts = new ConcurrentBag<(StreamEntry Entry, long Size)>();
        var existing = objects.Where(o => present.ContainsKey((StorageStreams.Bucket(o), StorageStreams.Key(o)))).ToList();
        await Parallel.ForEachAsync(existing, parallel, async (entry, ct) =>
        {
            var size = present[(StorageStreams.Bucket(entry), StorageStreams.Key(entry))];
            if (size == entry.Size && await SameContentAsync(client, entry, ct).ConfigureAwait(false))
                unchanged.TryAdd(entry.Name, 0);
            else
                conflicts.Add((entry, size));
        }).ConfigureAwait(false);
        if (!conflicts.IsEmpty && !overwrite)
        {
            var sorted = conflicts.OrderBy(c => c.Entry.Name, StringComparer.Ordinal).ToList();
            var named = string.Join(", ", sorted.Take(5).Select(c =>
                $"'{StorageStreams.Bucket(c.Entry)}/{StorageStreams.Key(c.Entry)}' ({c.Size} bytes there, {c.Entry.Size} in the snapshot)"));
            throw new BulwarkException(ErrorKind.Refused,
                $"{sorted.Count} object{(sorted.Count == 1 ? "" : "s")} already exist{(sorted.Count == 1 ? "s" : "")} at {_options.Display} with other content: {named}{(sorted.Count > 5 ? $" and {sorted.Count - 5} more" : "")}; nothing was uploaded",
                "pass --overwrite to replace them with the snapshot's, or restore into a project whose buckets do not hold them");
        }

        var created = new List<string>();
        foreach (var bucket in objects.Select(StorageStreams.Bucket).Distinct(StringComparer.Ordinal).Where(b => !existingBuckets.Contains(b)).Order(StringComparer.Ordinal))
        {
            await client.CreateBucketAsync(bucket, cancellationToken).ConfigureAwait(false);
            created.Add(bucket);
        }

        Directory.CreateDirectory(_spoolDirectory);
        var toUpload = objects.Where(o => !unchanged.ContainsKey(o.Name)).ToList();
        long bytes = 0;
        await Parallel.ForEachAsync(toUpload, parallel, async (entry, ct) =>
        {
            await UploadAsync(client, repository, entry, progress, ct).ConfigureAwait(false);
            Interlocked.Add(ref bytes, entry.Size);
        }).ConfigureAwait(false);
        return new StorageRestoreResult
        {
            Endpoint = _options.Display,
            Uploaded = toUpload.Count,
            UploadedBytes = bytes,
            Replaced = conflicts.Count,
            Unchanged = unchanged.Count,
            BucketsCreated = created,
        };
    }

    private static async Task<bool> SameContentAsync(SupabaseStorageClient client, StreamEntry entry, CancellationToken cancellationToken)
    {
        var (bucket, key) = (StorageStreams.Bucket(entry), StorageStreams.Key(entry));
        using var response = await client.GetAsync(bucket, key, cancellationToken).ConfigureAwait(false);
        byte[] hash;
        try
        {
            hash = await SHA256.HashDataAsync(response.ResponseStream, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw client.Map(e, "download", bucket, key);
        }
        return Convert.ToHexStringLower(hash) == entry.Sha256;
    }

    private async Task UploadAsync(SupabaseStorageClient client, BackupRepository repository, StreamEntry entry,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        // A spooled copy, owner-only and gone when closed: checked against the snapshot before a byte is sent.
        // Named like the restore's dump spool, so that the state sweep removes one a crash left behind.
        var path = Path.Combine(_spoolDirectory, $"bulwark-restore-storage-{Guid.NewGuid():N}.dump");
        await using var spool = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Options = FileOptions.DeleteOnClose | FileOptions.Asynchronous,
            UnixCreateMode = OperatingSystem.IsWindows() ? null : UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        await repository.CopyStreamAsync(entry, spool, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        spool.Position = 0;
        await client.PutAsync(StorageStreams.Bucket(entry), StorageStreams.Key(entry), spool, StorageStreams.ContentType(entry),
            StorageStreams.CacheControl(entry), StorageStreams.Metadata(entry), cancellationToken).ConfigureAwait(false);
    }
}
