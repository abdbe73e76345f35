using System.Net;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace Bulwark.Storage.S3;

/// <summary>
/// A repository under a prefix of an S3 bucket. A put is one PutObject (atomic on S3), or a multipart upload above
/// the threshold, which becomes visible only when completed. Failures are mapped by <see cref="S3Errors"/>.
/// </summary>
internal sealed class S3Backend : IStorageBackend
{
    private readonly AmazonS3Client _client;
    private readonly string _bucket;
    private readonly string _root;
    private readonly S3Errors _errors;
    private readonly S3Options _options;

    public S3Backend(AmazonS3Client client, string bucket, string prefix, string location, string? endpoint,
        S3Options options)
    {
        _client = client;
        _bucket = bucket;
        _root = prefix.Length == 0 ? "" : prefix + "/";
        Location = location;
        _options = options;
        _errors = new S3Errors(location, bucket, endpoint ?? "AWS S3");
    }

    public string Location { get; }

    public StorageCapabilities Capabilities => StorageCapabilities.StronglyConsistentObjectStore;

    /// <summary>Parts uploaded by multipart uploads so far (for tests and logs).</summary>
    internal int PartsUploaded => Volatile.Read(ref _partsUploaded);

    private int _partsUploaded;

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        // Buckets are made by their owners (with their policies); init checks that this one exists and answers.
        try
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = _root, MaxKeys = 1 },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (S3Errors.IsMapped(e, cancellationToken))
        {
            throw _errors.Map(e, "check", "");
        }
    }

    public async Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var key = Key(name);
        try
        {
            if (data.Length > _options.MultipartThreshold)
            {
                await PutMultipartAsync(key, data, cancellationToken).ConfigureAwait(false);
                return;
            }
            using var body = AsStream(data);
            await _client.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                InputStream = body,
                AutoCloseStream = false,
                UseChunkEncoding = false,
                ContentType = "application/octet-stream",
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (S3Errors.IsMapped(e, cancellationToken))
        {
            throw _errors.Map(e, "write", name);
        }
    }

    private async Task PutMultipartAsync(string key, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var started = await _client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest
        {
            BucketName = _bucket,
            Key = key,
            ContentType = "application/octet-stream",
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            var partSize = (int)Math.Max(5L << 20, _options.PartSize);
            for (int offset = 0, number = 1; offset < data.Length; offset += partSize, number++)
            {
                var length = Math.Min(partSize, data.Length - offset);
                using var body = AsStream(data.Slice(offset, length));
                var uploaded = await _client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    UploadId = started.UploadId,
                    PartNumber = number,
                    PartSize = length,
                    InputStream = body,
                    UseChunkEncoding = false,
                }, cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(number, uploaded.ETag));
                Interlocked.Increment(ref _partsUploaded);
            }
            await _client.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = started.UploadId,
                PartETags = parts,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Parts of an unfinished upload cost storage until aborted; the object itself never appeared.
            try
            {
                await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                {
                    BucketName = _bucket,
                    Key = key,
                    UploadId = started.UploadId,
                }, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (S3Errors.IsMapped(e, CancellationToken.None))
            {
                // A bucket lifecycle rule for incomplete uploads cleans up what this could not.
            }
            throw;
        }
    }

    public async Task<byte[]> GetAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _client.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = Key(name) },
                cancellationToken).ConfigureAwait(false);
            var length = response.ContentLength;
            if (length < 0 || length > Array.MaxLength)
                throw new StorageException($"object '{name}' in {Location} has an impossible size {length}", transient: false);
            var data = new byte[length];
            await response.ResponseStream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
            return data;
        }
        catch (EndOfStreamException e)
        {
            throw new StorageException($"reading '{name}' from {Location} ended early", transient: true, inner: e);
        }
        catch (Exception e) when (S3Errors.IsMapped(e, cancellationToken))
        {
            throw _errors.Map(e, "read", name);
        }
    }

    public async Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _bucket, Key = Key(name) },
                cancellationToken).ConfigureAwait(false);
            return new StorageObjectInfo(name, response.ContentLength, ToTime(response.LastModified));
        }
        catch (Exception e) when (S3Errors.IsMapped(e, cancellationToken))
        {
            var mapped = _errors.Map(e, "stat", name);
            if (mapped is ObjectNotFoundException)
                return null;
            throw mapped;
        }
    }

    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = _root + prefix, MaxKeys = _options.ListPageSize };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await _client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (S3Errors.IsMapped(e, cancellationToken))
            {
                throw _errors.Map(e, "list", prefix);
            }
            foreach (var item in response.S3Objects ?? [])
            {
                if (item.Key is null || item.Key.Length <= _root.Length)
                    continue;
                yield return new StorageObjectInfo(item.Key[_root.Length..], item.Size ?? 0, ToTime(item.LastModified));
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
                yield break;
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = Key(name) },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (S3Errors.IsMapped(e, cancellationToken))
        {
            var mapped = _errors.Map(e, "delete", name);
            if (mapped is not ObjectNotFoundException)
                throw mapped;
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private string Key(string name)
    {
        ObjectNames.Validate(name);
        return _root + name;
    }

    private static MemoryStream AsStream(ReadOnlyMemory<byte> data) =>
        MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static DateTimeOffset ToTime(DateTime? time) =>
        time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t.ToUniversalTime()) : DateTimeOffset.UnixEpoch;
}
