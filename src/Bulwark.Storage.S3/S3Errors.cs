using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;

namespace Bulwark.Storage.S3;

/// <summary>
/// Turns SDK failures into the storage contract's errors: a missing key is <see cref="ObjectNotFoundException"/>;
/// timeouts, throttling, 5xx answers and dropped connections are transient; refused credentials, a missing bucket
/// and other 4xx answers are permanent, with what to do about them.
/// </summary>
internal sealed class S3Errors
{
    private readonly string _location;
    private readonly string _bucket;
    private readonly string _endpoint;

    public S3Errors(string location, string bucket, string endpoint)
    {
        _location = location;
        _bucket = bucket;
        _endpoint = endpoint;
    }

    /// <summary>True for the failures <see cref="Map"/> handles; a cancellation the caller asked for passes through.</summary>
    public static bool IsMapped(Exception e, CancellationToken cancellationToken) =>
        !(e is OperationCanceledException && cancellationToken.IsCancellationRequested) &&
        e is AmazonServiceException or AmazonClientException or HttpRequestException or IOException or
            OperationCanceledException or SocketException or TimeoutException;

    public StorageException Map(Exception e, string action, string name)
    {
        var what = name.Length == 0 ? _location : $"'{name}' in {_location}";
        if (e is AmazonS3Exception s3)
        {
            var code = s3.ErrorCode ?? "";
            var status = (int)s3.StatusCode;
            if (code == "NoSuchKey" || (status == 404 && code is "" or "NotFound" && name.Length > 0))
                return new ObjectNotFoundException(_location, name);
            if (code == "NoSuchBucket")
                return new StorageException($"the bucket '{_bucket}' does not exist at {_endpoint}", transient: false,
                    "create the bucket, or correct the location", e);
            if (code is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "InvalidToken" or "ExpiredToken" or "TokenRefreshRequired")
                return new StorageException($"{_endpoint} refused the credentials ({code}) to {action} {what}", transient: false,
                    "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the AWS profile) for this endpoint", e);
            if (status == 403 || code == "AccessDenied")
                return new StorageException($"access denied to {action} {what} ({Short(s3)})", transient: false,
                    $"grant these credentials s3:GetObject, s3:PutObject, s3:DeleteObject and s3:ListBucket on bucket '{_bucket}'", e);
            if (code is "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" || status == 301)
                return new StorageException($"the bucket '{_bucket}' is in another region than the one used ({Short(s3)})", transient: false,
                    "set the bucket's region: 'storage.s3.region' in bulwark.yml, AWS_REGION, or ?region= in the location", e);
            if (status is 408 or 429 or >= 500 || code is "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" or "Throttling" or "RequestTimeTooSkewed")
                return new StorageException($"{_endpoint} failed to {action} {what} ({Short(s3)})", transient: true,
                    "try again later; if it persists, check the state of the object store", e);
            return new StorageException($"{_endpoint} refused to {action} {what} ({Short(s3)})", transient: false, null, e);
        }
        if (e is AmazonServiceException service && service.StatusCode != 0)
        {
            var status = (int)service.StatusCode;
            var transient = status is 408 or 429 or >= 500;
            return new StorageException($"{_endpoint} failed to {action} {what} (HTTP {status} {service.Message})", transient,
                transient ? "try again later" : null, e);
        }
        if (Unreachable(e) is { } network)
            return new StorageException($"cannot reach {_endpoint} to {action} {what}: {network}", transient: true,
                "check the endpoint ('storage.s3.endpoint' or ?endpoint=), the network and the proxy settings", e);
        if (e is AmazonClientException client && client.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase))
            return new StorageException($"no AWS credentials found to {action} {what}", transient: false,
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or run where instance credentials exist", e);
        return new StorageException($"cannot {action} {what}: {e.Message}", transient: false, null, e);
    }

    /// <summary>Why the endpoint could not be reached, or null when the failure is not about the network.</summary>
    private static string? Unreachable(Exception e) =>
        NetworkFailures.Describe(e) ?? (e is HttpRequestException ? e.Message : null);

    private static string Short(AmazonServiceException e) =>
        $"HTTP {(int)e.StatusCode}{(string.IsNullOrEmpty(e.ErrorCode) ? "" : " " + e.ErrorCode)}";
}
