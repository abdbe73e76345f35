using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// The few S3 calls Bulwark makes to Supabase Storage (path-style, signed for the project's region), each failure
/// turned into a <see cref="BulwarkException"/> that names the bucket and key and never the secret.
/// </summary>
internal sealed class SupabaseStorageClient : IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly string _display;
    private readonly int _pageSize;

    public SupabaseStorageClient(SupabaseStorageOptions options)
    {
        if (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new BulwarkException(ErrorKind.Configuration, $"the Supabase Storage endpoint '{options.Display}' is not an http(s) URL",
                "use https://<project-ref>.supabase.co/storage/v1/s3");
        _display = options.Display;
        _pageSize = Math.Clamp(options.PageSize, 1, 1000);
        var config = new AmazonS3Config
        {
            ServiceURL = uri.GetLeftPart(UriPartial.Path),
            ForcePathStyle = true,
            AuthenticationRegion = options.Region,
            // Only the checksums S3 requires: S3-compatible servers do not all know the newer headers, and every stream
            // carries its own SHA-256 in the snapshot.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        _client = new AmazonS3Client(new BasicAWSCredentials(options.AccessKeyId, options.SecretAccessKey), config);
    }

    public async Task<IReadOnlyList<string>> ListBucketsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await _client.ListBucketsAsync(new ListBucketsRequest(), cancellationToken).ConfigureAwait(false);
            return (response.Buckets ?? []).Select(b => b.BucketName).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (IsMapped(e, cancellationToken))
        {
            throw Map(e, "list the buckets of", null, null);
        }
    }

    /// <summary>Every object of <paramref name="bucket"/>, page by page (a listing is never held whole).</summary>
    public async IAsyncEnumerable<S3Object> ListObjectsAsync(string bucket, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            ListObjectsV2Response page;
            try
            {
                page = await _client.ListObjectsV2Async(new ListObjectsV2Request
                {
                    BucketName = bucket,
                    ContinuationToken = token,
                    MaxKeys = _pageSize,
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsMapped(e, cancellationToken))
            {
                throw Map(e, "list the objects of", bucket, null);
            }
            foreach (var item in page.S3Objects ?? [])
                yield return item;
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    /// <summary>The object with its headers; the caller reads and disposes the body.</summary>
    public async Task<GetObjectResponse> GetAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsMapped(e, cancellationToken))
        {
            throw Map(e, "download", bucket, key);
        }
    }

    public async Task CreateBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        try
        {
            await _client.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsMapped(e, cancellationToken))
        {
            throw Map(e, "create the bucket", bucket, null);
        }
    }

    /// <summary>Uploads one object from a seekable stream (a spooled file: the request is signed over its content).</summary>
    public async Task PutAsync(string bucket, string key, Stream body, string? contentType, string? cacheControl,
        IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = string.IsNullOrEmpty(contentType) ? "application/octet-stream" : contentType,
            // Plain signed payloads: s3rver and some S3-compatible servers do not accept aws-chunked bodies.
            UseChunkEncoding = false,
        };
        if (!string.IsNullOrEmpty(cacheControl))
            request.Headers.CacheControl = cacheControl;
        foreach (var (name, value) in metadata)
            request.Metadata.Add(name, value);
        try
        {
            await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsMapped(e, cancellationToken))
        {
            throw Map(e, "upload", bucket, key);
        }
    }

    /// <summary>The user metadata of a response, names without "x-amz-meta-".</summary>
    public static IEnumerable<KeyValuePair<string, string>> UserMetadata(GetObjectResponse response)
    {
        const string prefix = "x-amz-meta-";
        foreach (var name in response.Metadata.Keys)
        {
            var bare = name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? name[prefix.Length..] : name;
            yield return new(bare, response.Metadata[name]);
        }
    }

    private static bool IsMapped(Exception e, CancellationToken cancellationToken) =>
        !(e is OperationCanceledException && cancellationToken.IsCancellationRequested) &&
        e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or
            OperationCanceledException or SocketException or TimeoutException;

    /// <summary>A failure as the user should read it: what, on which bucket and key, and what to do.</summary>
    internal BulwarkException Map(Exception e, string action, string? bucket, string? key)
    {
        var what = bucket is null ? $"Supabase Storage at {_display}"
            : key is null ? $"'{bucket}' at {_display}"
            : $"'{bucket}/{key}' at {_display}";
        if (e is AmazonS3Exception s3)
        {
            var code = s3.ErrorCode ?? "";
            var status = (int)s3.StatusCode;
            if (code is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" || status == 401)
                return new BulwarkException(ErrorKind.SourceUnavailable, $"Supabase Storage refused the access key ({code}) to {action} {what}",
                    $"check {SupabaseStorageCredentials.AccessKeyIdVariable} and {SupabaseStorageCredentials.SecretAccessKeyVariable} (Project Settings > Storage > S3 access keys) and 'region'", e);
            if (status == 403 || code == "AccessDenied")
                return new BulwarkException(ErrorKind.SourceUnavailable, $"access denied to {action} {what} ({code})",
                    "use an S3 access key of the project (they have full access to every bucket)", e);
            if (code == "NoSuchBucket")
                return new BulwarkException(ErrorKind.Failed, $"cannot {action} {what}: the bucket does not exist",
                    "check the bucket names under 'postgres.supabase.storage.buckets'", e);
            if (code == "NoSuchKey" || status == 404)
                return new BulwarkException(ErrorKind.Failed, $"cannot {action} {what}: the object no longer exists (deleted while it was being read)",
                    "run the backup again", e);
            return new BulwarkException(ErrorKind.Failed, $"Supabase Storage failed to {action} {what} (HTTP {status} {code}: {s3.Message})",
                status is 408 or 429 or >= 500 ? "try again later; if it persists, check the project's status" : null, e);
        }
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException or HttpRequestException { StatusCode: null } or TimeoutException ||
                inner is OperationCanceledException)
                return new BulwarkException(ErrorKind.SourceUnavailable, $"cannot reach {what} to {action}: {inner.Message}",
                    "check 'postgres.supabase.storage.endpoint' and the network", e);
        }
        return new BulwarkException(ErrorKind.Failed, $"cannot {action} {what}: {e.Message}", null, e);
    }

    public void Dispose() => _client.Dispose();
}
