using System.Collections.Concurrent;
using System.Security.Cryptography;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// Uploads a snapshot's Storage objects into a project's Storage with their content type, cache control and user
/// metadata; missing buckets are created. <see cref="CheckAsync"/> looks at the target before anything is written (a
/// restore calls it before touching the database): an object that exists with the same bytes is left alone, one with
/// other bytes is refused unless overwriting is asked for. <see cref="RunAsync"/> then uploads; each object is spooled
/// to a temporary file and checked against its SHA-256 in the snapshot before it is sent.
/// </summary>
public sealed class SupabaseStorageRestore : IDisposable
{
    /// <summary>The largest object one S3 PutObject takes.</summary>
    public const long MaxObjectSize = 5L << 30;

    private readonly SupabaseStorageOptions _options;
    private readonly string _spoolDirectory;
    private readonly SupabaseStorageClient _client;
    private Plan? _plan;

    public SupabaseStorageRestore(SupabaseStorageOptions options, string spoolDirectory)
    {
        _options = options;
        _spoolDirectory = spoolDirectory;
        _client = new SupabaseStorageClient(options);
    }

    /// <summary>What <see cref="RunAsync"/> will do, decided by <see cref="CheckAsync"/>.</summary>
    private sealed record Plan(IReadOnlyList<StreamEntry> Upload, IReadOnlyList<string> CreateBuckets, int Replaced, int Unchanged);

    /// <summary>Reads what the target holds and refuses conflicts; writes nothing.</summary>
    public async Task CheckAsync(IReadOnlyList<StreamEntry> objects, bool overwrite, CancellationToken cancellationToken)
    {
        if (objects.FirstOrDefault(o => o.Size > MaxObjectSize) is { } large)
            throw new BulwarkException(ErrorKind.Refused,
                $"'{StorageStreams.Bucket(large)}/{StorageStreams.Key(large)}' is {large.Size} bytes, more than one upload takes (5 GiB); nothing was restored",
                $"write it with 'bulwark restore --to-file PATH --stream \"{large.Name}\"' and upload it with the Supabase CLI or dashboard");
        var client = _client;
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
                $"{sorted.Count} object{(sorted.Count == 1 ? "" : "s")} already exist{(sorted.Count == 1 ? "s" : "")} at {_options.Display} with other content: {named}{(sorted.Count > 5 ? $" and {sorted.Count - 5} more" : "")}; nothing was restored",
                "pass --overwrite to replace them with the snapshot's, or restore into a project whose buckets do not hold them");
        }
        _plan = new Plan(
            objects.Where(o => !unchanged.ContainsKey(o.Name)).ToList(),
            objects.Select(StorageStreams.Bucket).Distinct(StringComparer.Ordinal).Where(b => !existingBuckets.Contains(b)).Order(StringComparer.Ordinal).ToList(),
            conflicts.Count,
            unchanged.Count);
    }

    /// <summary>Creates the missing buckets and uploads what <see cref="CheckAsync"/> found missing or different.</summary>
    public async Task<StorageRestoreResult> RunAsync(BackupRepository repository, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var plan = _plan ?? throw new InvalidOperationException("CheckAsync comes first");
        foreach (var bucket in plan.CreateBuckets)
            await _client.CreateBucketAsync(bucket, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(_spoolDirectory);
        long bytes = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, _options.Connections), CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(plan.Upload, parallel, async (entry, ct) =>
        {
            await UploadAsync(_client, repository, entry, progress, ct).ConfigureAwait(false);
            Interlocked.Add(ref bytes, entry.Size);
        }).ConfigureAwait(false);
        return new StorageRestoreResult
        {
            Endpoint = _options.Display,
            Uploaded = plan.Upload.Count,
            UploadedBytes = bytes,
            Replaced = plan.Replaced,
            Unchanged = plan.Unchanged,
            BucketsCreated = plan.CreateBuckets,
        };
    }

    public void Dispose() => _client.Dispose();

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
